// The WHATWG surface over the `ws` EventEmitter surface: addEventListener /
// removeEventListener and onopen / onmessage / onclose / onerror, with MessageEvent-,
// CloseEvent- and ErrorEvent-shaped objects (https://websockets.spec.whatwg.org/).
import type { EventEmitter } from 'node:events';

export interface WsEvent {
  readonly type: string;
  readonly target: unknown;
}
export interface MessageEventLike extends WsEvent {
  readonly data: unknown;
}
export interface CloseEventLike extends WsEvent {
  readonly code: number;
  readonly reason: string;
  readonly wasClean: boolean;
}
export interface ErrorEventLike extends WsEvent {
  readonly error: unknown;
  readonly message: string;
}

export type EventListenerLike = ((event: never) => void) | { handleEvent(event: never): void };

const WRAPPED = Symbol('wsframe.listener');
const ATTRIBUTE = Symbol('wsframe.attribute');

interface Wrapper {
  (...args: unknown[]): void;
  [WRAPPED]: EventListenerLike;
  [ATTRIBUTE]: boolean;
}

/** Maps an emitter event's arguments to the WHATWG event object. */
export type EventFactory = (target: unknown, args: unknown[]) => WsEvent;

function call(listener: EventListenerLike, target: unknown, event: WsEvent): void {
  if (typeof listener === 'function') listener.call(target, event as never);
  else listener.handleEvent(event as never);
}

/** Adds a WHATWG-style listener (a function or an object with handleEvent). */
export function addListener(
  emitter: EventEmitter, type: string, listener: EventListenerLike, factory: EventFactory,
  options: { once?: boolean } = {}, attribute = false,
): void {
  // The DOM ignores a listener that is already registered for the type.
  for (const existing of emitter.rawListeners(type) as Wrapper[]) {
    if (existing[WRAPPED] === listener && !existing[ATTRIBUTE] && !attribute) return;
  }
  const wrapper = function (this: unknown, ...args: unknown[]): void {
    call(listener, emitter, factory(emitter, args));
  } as Wrapper;
  wrapper[WRAPPED] = listener;
  wrapper[ATTRIBUTE] = attribute;
  if (options.once) emitter.once(type, wrapper);
  else emitter.on(type, wrapper);
}

/** Removes a listener added with addListener. */
export function removeListener(emitter: EventEmitter, type: string, listener: EventListenerLike, attribute = false): void {
  for (const existing of emitter.rawListeners(type) as Wrapper[]) {
    const inner = (existing as { listener?: Wrapper }).listener ?? existing;
    if (inner[WRAPPED] === listener && inner[ATTRIBUTE] === attribute) {
      emitter.removeListener(type, existing as (...args: unknown[]) => void);
      return;
    }
  }
}

/** The handler set through on<type>, or null. */
export function getAttribute(emitter: EventEmitter, type: string): EventListenerLike | null {
  for (const existing of emitter.rawListeners(type) as Wrapper[]) {
    if (existing[ATTRIBUTE]) return existing[WRAPPED];
  }
  return null;
}

/** Sets (or clears, with a non-function) the on<type> handler. */
export function setAttribute(emitter: EventEmitter, type: string, handler: unknown, factory: EventFactory): void {
  for (const existing of emitter.rawListeners(type) as Wrapper[]) {
    if (existing[ATTRIBUTE]) emitter.removeListener(type, existing);
  }
  if (typeof handler === 'function') addListener(emitter, type, handler as EventListenerLike, factory, {}, true);
}
