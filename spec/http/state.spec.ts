import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LocalProtocolError, RemoteProtocolError } from '../../lib/http/errors.ts';
import {
  CROSS_TRANSITIONS,
  ProtocolState,
  EVENT_TRANSITIONS,
  JOINT_TRANSITIONS,
  KEEP_ALIVE_OFF,
} from '../../lib/http/state.ts';

const CLIENT_STATES = ['IDLE', 'SEND_BODY', 'DONE', 'MUST_CLOSE', 'CLOSED', 'ERROR'];
const SERVER_STATES = ['IDLE', 'SEND_RESPONSE', 'SEND_BODY', 'DONE', 'MUST_CLOSE', 'CLOSED', 'ERROR'];

test('the tables are plain data a script can draw: JSON round-trips them', () => {
  const data = { EVENT_TRANSITIONS, CROSS_TRANSITIONS, KEEP_ALIVE_OFF, JOINT_TRANSITIONS };
  assert.equal(JSON.parse(JSON.stringify(data)), data);
});

test('the tables are honest: every state has a row, every target is a state', () => {
  assert.equal(Object.keys(EVENT_TRANSITIONS.client), CLIENT_STATES);
  assert.equal(Object.keys(EVENT_TRANSITIONS.server), SERVER_STATES);
  for (const [role, states] of [['client', CLIENT_STATES], ['server', SERVER_STATES]] as const) {
    for (const row of Object.values(EVENT_TRANSITIONS[role])) {
      for (const target of Object.values(row)) assert.ok(states.includes(target!), `${role}: ${target}`);
    }
  }
  for (const [joint, moves] of Object.entries(JOINT_TRANSITIONS)) {
    const [c, s] = joint.split('/');
    assert.ok(CLIENT_STATES.includes(c!) && SERVER_STATES.includes(s!), joint);
    if (moves.client) assert.ok(CLIENT_STATES.includes(moves.client));
    if (moves.server) assert.ok(SERVER_STATES.includes(moves.server));
  }
  // ERROR is final: nothing leaves it.
  assert.equal(EVENT_TRANSITIONS.client.ERROR, {});
  assert.equal(EVENT_TRANSITIONS.server.ERROR, {});
});

test('a keep-alive exchange walks the tables and back to IDLE', () => {
  const s = new ProtocolState();
  const trace: string[] = [];
  const note = () => trace.push(`${s.client}/${s.server}`);
  s.processEvent('client', 'Request'); note();
  s.processEvent('server', 'InformationalResponse'); note();
  s.processEvent('client', 'Data'); note();
  s.processEvent('client', 'EndOfMessage'); note();
  s.processEvent('server', 'Response'); note();
  s.processEvent('server', 'Data'); note();
  s.processEvent('server', 'EndOfMessage'); note();
  s.startNextCycle(); note();
  assert.equal(trace, [
    'SEND_BODY/SEND_RESPONSE',
    'SEND_BODY/SEND_RESPONSE',
    'SEND_BODY/SEND_RESPONSE',
    'DONE/SEND_RESPONSE',
    'DONE/SEND_BODY',
    'DONE/SEND_BODY',
    'DONE/DONE',
    'IDLE/IDLE',
  ]);
});

test('an event its state does not allow throws, naming the state, and changes nothing', () => {
  const s = new ProtocolState();
  assert.throws(() => s.processEvent('client', 'Data'), (e: unknown) => e instanceof LocalProtocolError && /state is IDLE/.test(e.message));
  // A response nobody asked for: the server is IDLE until the client's Request.
  assert.throws(() => s.processEvent('server', 'Response'), (e: unknown) => e instanceof RemoteProtocolError && /state is IDLE/.test(e.message));
  assert.is(s.client, 'IDLE');
  assert.is(s.server, 'IDLE');
});

test('keep-alive off: DONE sides become MUST_CLOSE, now and later', () => {
  const s = new ProtocolState();
  s.processEvent('client', 'Request');
  s.processEvent('client', 'EndOfMessage');
  s.processKeepAliveDisabled();
  assert.is(s.client, 'MUST_CLOSE');
  s.processEvent('server', 'Response');
  s.processEvent('server', 'EndOfMessage');
  assert.is(s.server, 'MUST_CLOSE');
  assert.throws(() => s.startNextCycle(), /both must be DONE/);
  s.processEvent('server', 'ConnectionClosed');
  assert.is(s.server, 'CLOSED');
});

test('a side that closes or fails leaves the other only closing', () => {
  const idle = new ProtocolState();
  idle.processEvent('server', 'ConnectionClosed');
  assert.equal([idle.client, idle.server], ['MUST_CLOSE', 'CLOSED']);

  const done = new ProtocolState();
  done.processEvent('client', 'Request');
  done.processEvent('client', 'EndOfMessage');
  done.processError('server');
  assert.equal([done.client, done.server], ['MUST_CLOSE', 'ERROR']);

  const clientGone = new ProtocolState();
  clientGone.processEvent('client', 'ConnectionClosed');
  assert.equal([clientGone.client, clientGone.server], ['CLOSED', 'MUST_CLOSE']);

  const clientFailed = new ProtocolState();
  clientFailed.processEvent('client', 'Request');
  clientFailed.processEvent('server', 'Response');
  clientFailed.processEvent('server', 'EndOfMessage');
  clientFailed.processError('client');
  assert.equal([clientFailed.client, clientFailed.server], ['ERROR', 'MUST_CLOSE']);
});

test('startNextCycle needs both sides DONE', () => {
  const s = new ProtocolState();
  assert.throws(() => s.startNextCycle(), (e: unknown) => e instanceof LocalProtocolError && /ours IDLE, theirs IDLE/.test(e.message));
});

test.run();
