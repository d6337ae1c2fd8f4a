/**
 * The HTTP/1.1 connection state machine, as data — h11's `_state.py`.
 *
 * An HTTP/1.1 connection is two half-machines, one per role: the client's
 * (it sends requests) and the server's (it sends responses). Each moves on
 * three kinds of triggers, all written below as plain objects so that a
 * script can draw the diagram from them (docs/http-sans-io.md):
 *
 * 1. EVENT_TRANSITIONS: a role sends an event (`Request`, `Data`, …) and its
 *    own state moves. An event missing from its state's row is a protocol
 *    violation by whoever sent it.
 * 2. CROSS_TRANSITIONS: the client's `Request` is what lets the server
 *    respond (server IDLE → SEND_RESPONSE). A response nobody asked for is
 *    thus an error by construction.
 * 3. State-triggered rules, applied after every change until nothing moves:
 *    without keep-alive a DONE side becomes MUST_CLOSE (KEEP_ALIVE_OFF); once
 *    one side has CLOSED or failed, the other can only close (JOINT_TRANSITIONS).
 *
 * Keep-alive is one flag for the whole connection: it starts true and turns
 * false for good when either side says `Connection: close`, speaks HTTP/1.0
 * without `keep-alive`, frames a body by closing the connection, or sends
 * bytes nobody asked for. `startNextCycle()` takes both sides from DONE back
 * to IDLE, and only while the flag holds.
 *
 * Out of scope, unlike h11: protocol switching (101, CONNECT tunnels) — there
 * are no MIGHT_SWITCH_PROTOCOL / SWITCHED_PROTOCOL states; the connection
 * refuses to send CONNECT and treats a 101 as a remote protocol error.
 */
import type { EventType } from './events.ts';
import { LocalProtocolError, RemoteProtocolError } from './errors.ts';

/** The two roles of a connection. */
export type Role = 'client' | 'server';

/** The client half: idle, sending a request body, finished, or out of service. */
export type ClientRoleState = 'IDLE' | 'SEND_BODY' | 'DONE' | 'MUST_CLOSE' | 'CLOSED' | 'ERROR';

/**
 * The server half. It has one state more than the client: SEND_RESPONSE,
 * "a request came, its response (or 1xx responses) may now be sent".
 */
export type ServerRoleState = 'IDLE' | 'SEND_RESPONSE' | 'SEND_BODY' | 'DONE' | 'MUST_CLOSE' | 'CLOSED' | 'ERROR';

/** One role's table: for each state, the events allowed there and where each leads. */
export type TransitionTable<S extends string> = {
  readonly [state in S]: { readonly [event in EventType]?: S };
};

/** Event-triggered transitions: `EVENT_TRANSITIONS[role][state][event]` is the next state. */
export const EVENT_TRANSITIONS: {
  readonly client: TransitionTable<ClientRoleState>;
  readonly server: TransitionTable<ServerRoleState>;
} = {
  client: {
    IDLE: { Request: 'SEND_BODY', ConnectionClosed: 'CLOSED' },
    SEND_BODY: { Data: 'SEND_BODY', EndOfMessage: 'DONE' },
    DONE: { ConnectionClosed: 'CLOSED' },
    MUST_CLOSE: { ConnectionClosed: 'CLOSED' },
    CLOSED: { ConnectionClosed: 'CLOSED' },
    ERROR: {},
  },
  server: {
    IDLE: { ConnectionClosed: 'CLOSED' },
    SEND_RESPONSE: { InformationalResponse: 'SEND_RESPONSE', Response: 'SEND_BODY' },
    SEND_BODY: { Data: 'SEND_BODY', EndOfMessage: 'DONE' },
    DONE: { ConnectionClosed: 'CLOSED' },
    MUST_CLOSE: { ConnectionClosed: 'CLOSED' },
    CLOSED: { ConnectionClosed: 'CLOSED' },
    ERROR: {},
  },
};

/** An event of one role that moves the other role's state. */
export interface CrossTransition {
  readonly role: Role;
  readonly event: EventType;
  readonly from: ServerRoleState;
  readonly to: ServerRoleState;
}

/** The client's Request opens the server's turn (RFC 9112 §9.3: responses answer requests in order). */
export const CROSS_TRANSITIONS: readonly CrossTransition[] = [
  { role: 'client', event: 'Request', from: 'IDLE', to: 'SEND_RESPONSE' },
];

/** Without keep-alive, a side that has finished can only close (applies to both roles). */
export const KEEP_ALIVE_OFF = { DONE: 'MUST_CLOSE' } as const;

/**
 * Once one side has closed or failed, the other side must close too:
 * `JOINT_TRANSITIONS['client/server']` gives the roles that move and where.
 */
export const JOINT_TRANSITIONS: {
  readonly [joint: string]: { readonly client?: ClientRoleState; readonly server?: ServerRoleState };
} = {
  'CLOSED/IDLE': { server: 'MUST_CLOSE' },
  'CLOSED/DONE': { server: 'MUST_CLOSE' },
  'ERROR/DONE': { server: 'MUST_CLOSE' },
  'IDLE/CLOSED': { client: 'MUST_CLOSE' },
  'DONE/CLOSED': { client: 'MUST_CLOSE' },
  'DONE/ERROR': { client: 'MUST_CLOSE' },
};

/**
 * Both halves of one connection and the keep-alive flag, moved only through
 * the tables above. h11's `ConnectionState`; named for the protocol here, since
 * `HTTPConnectionState` (http11.ts, the pool's view) and the stream's own
 * `ConnectionState` (streams.ts) already name other machines, and its halves
 * are `ClientRoleState` / `ServerRoleState`, apart from the client's
 * `ClientState` (client.ts, httpx's UNOPENED/OPENED/CLOSED).
 *
 * Invariants:
 * - `client`/`server` change only in `processEvent`, `processError`,
 *   `processKeepAliveDisabled`, `startNextCycle` — and each of them ends by
 *   applying the state-triggered rules, so no state is left that a rule
 *   would change (e.g. never DONE with `keepAlive` false).
 * - `keepAlive` only ever goes from true to false.
 * - ERROR and CLOSED are final; MUST_CLOSE only leads to CLOSED.
 */
export class ProtocolState {
  /** The client half's state. */
  client: ClientRoleState = 'IDLE';
  /** The server half's state. */
  server: ServerRoleState = 'IDLE';
  /** Whether the connection may carry another exchange after this one. */
  keepAlive = true;

  /**
   * `role` sent `event`: move its state, and the other's if a cross
   * transition applies. An event its state does not allow throws (a
   * LocalProtocolError for the client's events, since we are the client; a
   * RemoteProtocolError for the server's) and leaves the states unchanged.
   */
  processEvent(role: Role, event: EventType): void {
    if (role === 'client') {
      const next = EVENT_TRANSITIONS.client[this.client][event];
      if (next === undefined) throw new LocalProtocolError(`can't send ${event} when our state is ${this.client}`);
      this.client = next;
    } else {
      const next = EVENT_TRANSITIONS.server[this.server][event];
      if (next === undefined) throw new RemoteProtocolError(`peer sent ${event} when its state is ${this.server}`);
      this.server = next;
    }
    for (const cross of CROSS_TRANSITIONS) {
      if (cross.role === role && cross.event === event && this.server === cross.from) this.server = cross.to;
    }
    this.#fireStateTriggered();
  }

  /** `role` broke the protocol (or we gave up on it): its half is in ERROR for good. */
  processError(role: Role): void {
    if (role === 'client') this.client = 'ERROR';
    else this.server = 'ERROR';
    this.#fireStateTriggered();
  }

  /** Something ruled out another exchange on this connection. */
  processKeepAliveDisabled(): void {
    this.keepAlive = false;
    this.#fireStateTriggered();
  }

  /** Both sides are DONE and keep-alive holds: begin the next request/response pair. */
  startNextCycle(): void {
    if (this.client !== 'DONE' || this.server !== 'DONE') {
      throw new LocalProtocolError(
        `not in a reusable state (ours ${this.client}, theirs ${this.server}): both must be DONE`,
      );
    }
    // keepAlive false would have turned DONE into MUST_CLOSE (invariant), so it holds here.
    this.client = 'IDLE';
    this.server = 'IDLE';
    this.#fireStateTriggered();
  }

  #fireStateTriggered(): void {
    for (;;) {
      const client = this.client;
      const server = this.server;
      if (!this.keepAlive) {
        if (client === 'DONE') this.client = KEEP_ALIVE_OFF.DONE;
        if (server === 'DONE') this.server = KEEP_ALIVE_OFF.DONE;
      }
      // The joint rules only concern a side that has CLOSED or failed. A healthy
      // exchange skips the lookup and its 'client/server' key string: this runs for
      // every event of every request (bench/http.ts).
      if (isEnded(this.client) || isEnded(this.server)) {
        const joint = JOINT_TRANSITIONS[`${this.client}/${this.server}`];
        if (joint?.client !== undefined) this.client = joint.client;
        if (joint?.server !== undefined) this.server = joint.server;
      }
      if (this.client === client && this.server === server) return;
    }
  }
}

/** CLOSED or ERROR: the states that JOINT_TRANSITIONS react to. */
function isEnded(state: ClientRoleState | ServerRoleState): boolean {
  return state === 'CLOSED' || state === 'ERROR';
}
