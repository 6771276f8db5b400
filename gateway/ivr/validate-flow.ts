/**
 * Whether a flow can run: the schema of every node (flow-schema.ts), then the graph. Errors name the
 * node, so the admin API's 400 says where the flow is wrong.
 */
import { FlowBody, INPUT, TERMINAL, type Flow, type FlowNode } from './flow-schema.js';

export interface FlowProblem {
  node?: string;
  message: string;
}
export type FlowCheck = { ok: true; flow: Flow } | { ok: false; problems: FlowProblem[] };

/** Every node id a node can go to next, with the field that names it. */
export function edges(n: FlowNode): { field: string; to: string }[] {
  const out: { field: string; to: string }[] = [];
  const add = (field: string, to: string | undefined) => to !== undefined && out.push({ field, to });
  switch (n.type) {
    case 'play':
    case 'setTag':
    case 'setPriority':
      add('next', n.next);
      break;
    case 'menu':
      n.options.forEach((o, i) => add(`options.${i}.next`, o.next));
      add('onFail', n.onFail);
      add('whenNothingLikely', n.whenNothingLikely);
      break;
    case 'collect':
      add('next', n.next);
      add('onFail', n.onFail);
      break;
    case 'lookup':
      add('next', n.next);
      add('notFound', n.notFound);
      break;
    case 'condition':
      add('then', n.then);
      add('else', n.else);
      break;
    default:
      break; // terminal
  }
  return out;
}

export function checkFlow(body: unknown): FlowCheck {
  const parsed = FlowBody.safeParse(body);
  if (!parsed.success) {
    const raw = body as { nodes?: { id?: unknown }[] } | null;
    return {
      ok: false,
      problems: parsed.error.issues.map((i) => {
        // nodes.<index>.… → name the node by its id when it has one.
        const idx = i.path[0] === 'nodes' && typeof i.path[1] === 'number' ? i.path[1] : undefined;
        const id = idx !== undefined ? raw?.nodes?.[idx]?.id : undefined;
        const where = idx !== undefined ? i.path.slice(2).join('.') : i.path.join('.');
        return { ...(typeof id === 'string' ? { node: id } : {}), message: `${where || 'flow'}: ${i.message}` };
      }),
    };
  }
  const flow = parsed.data;
  const problems = checkGraph(flow);
  return problems.length ? { ok: false, problems } : { ok: true, flow };
}

function checkGraph(flow: Flow): FlowProblem[] {
  const problems: FlowProblem[] = [];
  const byId = new Map<string, FlowNode>();
  for (const n of flow.nodes) {
    if (byId.has(n.id)) problems.push({ node: n.id, message: 'two nodes have this id' });
    byId.set(n.id, n);
  }
  if (!byId.has(flow.start)) problems.push({ node: flow.start, message: 'start: no such node' });
  for (const n of flow.nodes) {
    for (const e of edges(n)) if (!byId.has(e.to)) problems.push({ node: n.id, message: `${e.field}: goes to ${e.to}, which does not exist` });
  }
  if (flow.onMaxTime !== undefined) {
    const t = byId.get(flow.onMaxTime);
    if (!t) problems.push({ node: flow.onMaxTime, message: 'onMaxTime: no such node' });
    // After the time is up no more input is taken: only a node that ends the IVR may follow.
    else if (!TERMINAL.has(t.type)) problems.push({ node: t.id, message: 'onMaxTime must be a node that ends the IVR (queue, callback, voicemail, transfer, hangup)' });
  }
  if (problems.length) return problems; // the walks below assume every edge lands
  problems.push(...loopsWithoutInput(flow.nodes, byId));
  const seen = reachable(flow.start, byId);
  if (flow.onMaxTime) seen.add(flow.onMaxTime);
  for (const n of flow.nodes) if (!seen.has(n.id)) problems.push({ node: n.id, message: 'no path from the start reaches this node' });
  return problems;
}

/**
 * A cycle among nodes that never wait for the caller (play, lookup, condition, setTag...) would spin
 * forever (or replay a prompt forever): every cycle must pass a menu or collect. Depth-first search
 * over the graph with input nodes removed; a back edge is such a loop.
 */
function loopsWithoutInput(nodes: FlowNode[], byId: Map<string, FlowNode>): FlowProblem[] {
  const state = new Map<string, 'open' | 'done'>();
  const problems: FlowProblem[] = [];
  // An edge out of a menu or collect is taken after the caller pressed something, except a dynamic
  // menu's whenNothingLikely, which is taken at once.
  const waits = (n: FlowNode, field: string) => INPUT.has(n.type) && field !== 'whenNothingLikely';
  const visit = (id: string, stack: string[]): void => {
    state.set(id, 'open');
    const from = byId.get(id)!;
    for (const e of edges(from)) {
      if (waits(from, e.field)) continue;
      if (state.get(e.to) === 'open') {
        const loop = [...stack.slice(stack.indexOf(e.to)), e.to];
        problems.push({ node: e.to, message: `loop without input: ${loop.join(' → ')} passes no menu or collect` });
      } else if (!state.has(e.to)) visit(e.to, [...stack, e.to]);
    }
    state.set(id, 'done');
  };
  for (const n of nodes) if (!state.has(n.id)) visit(n.id, [n.id]);
  return problems;
}

function reachable(start: string, byId: Map<string, FlowNode>): Set<string> {
  const seen = new Set<string>([start]);
  const todo = [start];
  while (todo.length) for (const e of edges(byId.get(todo.pop()!)!)) if (!seen.has(e.to)) (seen.add(e.to), todo.push(e.to));
  return seen;
}
