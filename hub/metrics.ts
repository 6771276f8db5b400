import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics of one hub (its own registry, so several hubs in one test process don't collide). */
export class Metrics {
  readonly registry = new Registry();
  readonly messagesIngested = new Counter({ name: 'cchub_messages_ingested_total', help: 'Inbound messages stored', labelNames: ['channel'], registers: [this.registry] });
  readonly httpRequests = new Counter({ name: 'cchub_http_requests_total', help: 'HTTP requests', labelNames: ['method', 'status'], registers: [this.registry] });
  readonly routingLatency = new Histogram({ name: 'cchub_routing_decision_seconds', help: 'Routing command issued → decision stored', buckets: [0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1], registers: [this.registry] });
  /** 1 while this process holds the routing lease (which process to look at, and which one a failover drill kills). */
  readonly routingLeader = new Gauge({ name: 'cchub_routing_leader', help: 'This process leads routing (1) or not (0)', registers: [this.registry] });
  /** 1 for each connector's current state (starting, up, degraded, stopped), 0 for the others. */
  readonly connectorState = new Gauge({ name: 'cchub_connector_state', help: 'Channel connector lifecycle state (1 = current)', labelNames: ['connector', 'state'], registers: [this.registry] });
  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }
}
