/**
 * What the hub gives one connector (ConnectorContext in channels/contract.ts): ingest, the file store,
 * receipts, a logger tagged with the connector. Built per connector, so receipts by external id are
 * looked up on that connector's channel only.
 */
import type { Logger } from 'pino';
import type { ConnectorContext } from '../channels/contract.js';
import type { FileStore } from './files.js';
import type { Ingest } from './ingest/ingest.js';
import type { Channel } from './models/types.js';
import type { Receipts } from './receipts.js';

export interface ContextDeps {
  ingest: Ingest;
  files: FileStore;
  receipts: Receipts;
  log: Logger;
}

export function connectorContext(kind: Channel, d: ContextDeps): ConnectorContext {
  return {
    ingest: (msg, opts) => d.ingest.ingest(msg, opts),
    storeFile: (stream, meta) => d.files.store(stream, { ...meta, metadata: { ...meta.metadata, channel: kind } }),
    statusByExternalId: (externalId, status, detail, at) => d.receipts.byExternalId(kind, externalId, status, detail, at),
    reportStatus: (messageId, status, detail, at) => d.receipts.byMessageId(kind, messageId, status, detail, at),
    log: d.log.child({ connector: kind }),
  };
}
