import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TaskList, type Linked } from '../lib/tasklist.ts';

/** A stand-in for Task: the list only needs the two link fields. */
class Node implements Linked<Node> {
  _prevTask: Node | null = null;
  _nextTask: Node | null = null;
  constructor(readonly name: string) {}
}

const names = (list: TaskList<Node>): string[] => [...list].map((n) => n.name);

test('add() appends in order; size and has() follow', () => {
  const list = new TaskList<Node>();
  const [a, b, c] = [new Node('a'), new Node('b'), new Node('c')];
  assert.is(list.size, 0);
  assert.not.ok(list.has(a));
  list.add(a);
  list.add(b);
  list.add(c);
  assert.equal(names(list), ['a', 'b', 'c']);
  assert.is(list.size, 3);
  assert.ok(list.has(a), 'the head has no _prevTask, and is still a member');
  assert.ok(list.has(c));
});

test('delete() unlinks from the head, the middle and the tail', () => {
  const list = new TaskList<Node>();
  const nodes = ['a', 'b', 'c', 'd'].map((n) => new Node(n));
  for (const n of nodes) list.add(n);
  assert.ok(list.delete(nodes[1]!));
  assert.equal(names(list), ['a', 'c', 'd']);
  assert.ok(list.delete(nodes[0]!));
  assert.equal(names(list), ['c', 'd']);
  assert.ok(list.delete(nodes[3]!));
  assert.equal(names(list), ['c']);
  assert.is(list.size, 1);
  // A removed node has its links cleared, so has() is false and it may be added again.
  assert.is(nodes[1]!._prevTask, null);
  assert.is(nodes[1]!._nextTask, null);
  assert.not.ok(list.has(nodes[1]!));
  list.add(nodes[1]!);
  assert.equal(names(list), ['c', 'b']);
});

test('delete() of a node not in the list returns false and changes nothing', () => {
  const list = new TaskList<Node>();
  const a = new Node('a');
  list.add(a);
  assert.not.ok(list.delete(new Node('stranger')));
  assert.ok(list.delete(a));
  assert.not.ok(list.delete(a), 'twice');
  assert.is(list.size, 0);
  assert.equal(names(list), []);
});

test('iteration survives deleting the node just yielded (run() cancels tasks while walking)', () => {
  const list = new TaskList<Node>();
  const nodes = ['a', 'b', 'c'].map((n) => new Node(n));
  for (const n of nodes) list.add(n);
  const seen: string[] = [];
  for (const n of list) {
    seen.push(n.name);
    list.delete(n);
  }
  assert.equal(seen, ['a', 'b', 'c']);
  assert.is(list.size, 0);
});

test.run();
