import { Counter, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics of one hub (its own registry, so several hubs in one test process don't collide). */
export class Metrics {
  readonly registry = new Registry();
  readonly messagesIngested = new Counter({ name: 'cchub_messages_ingested_total', help: 'Inbound messages stored', labelNames: ['channel'], registers: [this.registry] });
  readonly httpRequests = new Counter({ name: 'cchub_http_requests_total', help: 'HTTP requests', labelNames: ['method', 'status'], registers: [this.registry] });
  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }
}
