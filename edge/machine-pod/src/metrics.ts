import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** The pod's Prometheus metrics, registered on the service app's registry (one registry per pod). */
export function createPodMetrics(registry: Registry, machineId: string) {
  const labels = { machine: machineId };
  const common = { registers: [registry] };
  const m = {
    pollDuration: new Histogram({ ...common, name: 'pod_poll_duration_seconds', help: 'duration of one machine poll', labelNames: ['machine', 'class'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5] }),
    pdusPerPoll: new Gauge({ ...common, name: 'pod_pdus_per_poll', help: 'S7 request PDUs of the last poll of a class', labelNames: ['machine', 'class'] }),
    reconnects: new Counter({ ...common, name: 'pod_reconnects_total', help: 'connections (re-)established', labelNames: ['machine', 'target'] }),
    connected: new Gauge({ ...common, name: 'pod_connected', help: '1 while connected', labelNames: ['machine', 'target'] }),
    queueDepth: new Gauge({ ...common, name: 'pod_queue_depth', help: 'messages accepted but not yet acknowledged by the broker', labelNames: ['machine'] }),
    published: new Counter({ ...common, name: 'pod_messages_published_total', help: 'messages acknowledged by the broker', labelNames: ['machine', 'kind'] }),
    dropped: new Counter({ ...common, name: 'pod_messages_dropped_total', help: 'messages dropped: samples while the queue was full, messages above the contract size bound', labelNames: ['machine'] }),
    filesProcessed: new Counter({ ...common, name: 'pod_files_processed_total', help: 'result files processed and archived', labelNames: ['machine'] }),
    filesQuarantined: new Counter({ ...common, name: 'pod_files_quarantined_total', help: 'malformed result files moved to quarantine', labelNames: ['machine'] }),
    rowsRead: new Counter({ ...common, name: 'pod_sql_rows_total', help: 'rows read from the machine database', labelNames: ['machine', 'table'] }),
    clockSkew: new Gauge({ ...common, name: 'pod_clock_skew_seconds', help: "machine clock minus the pod's, at the last message (plant seconds)", labelNames: ['machine'] }),
    clockRestamped: new Counter({ ...common, name: 'pod_clock_restamped_total', help: "messages stamped with the pod's time because the machine's clock was beyond the bound", labelNames: ['machine'] }),
    badValues: new Counter({ ...common, name: 'pod_bad_values_total', help: 'values or events that could not be normalised', labelNames: ['machine'] }),
  };
  return { ...m, labels };
}
export type PodMetrics = ReturnType<typeof createPodMetrics>;
