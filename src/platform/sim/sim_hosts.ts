/**
 * The processes of a simulated network: which incarnation of each host is
 * alive (a crash starts a new one, so callbacks meant for the dead process
 * are dropped), which are paused (callbacks wait until resume, as for a
 * SIGSTOPped process), the ports each host hands out, and the names that
 * reach it.
 */

/** One incarnation of a host; a crash makes every older ref dead. */
export interface HostRef {
  readonly name: string;
  readonly incarnation: number;
}

interface HostState {
  incarnation: number;
  paused: boolean;
  /** Callbacks that came while paused, in order. */
  held: (() => void)[];
  nextListenPort: number;
  nextEphemeralPort: number;
}

/** First port `listen({port: 0})` tries; deterministic, so traces are comparable. */
const LISTEN_PORT_FIRST = 20_000;
/** First client-side port of outgoing connections (the IANA dynamic range). */
const EPHEMERAL_PORT_FIRST = 49_152;
const EPHEMERAL_PORT_LAST = 65_535;

/** Names a host uses for itself; they and the wildcard addresses bind on the host. */
const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1"]);
const WILDCARD = new Set(["0.0.0.0", "::"]);

/** Whether a listener of host `name` may bind `hostname`. */
export function bindsOn(name: string, hostname: string): boolean {
  return hostname === name || LOOPBACK.has(hostname) || WILDCARD.has(hostname);
}

/** The host a connect from `from` to `hostname` reaches. */
export function resolveHost(from: string, hostname: string): string {
  return LOOPBACK.has(hostname) ? from : hostname;
}

export class SimHosts {
  readonly #hosts = new Map<string, HostState>();

  /** The current incarnation of `name`. */
  ref(name: string): HostRef {
    return { name, incarnation: this.#state(name).incarnation };
  }

  isAlive(ref: HostRef): boolean {
    return this.#state(ref.name).incarnation === ref.incarnation;
  }

  isPaused(name: string): boolean {
    return this.#state(name).paused;
  }

  /** Alive and not paused: code of this process may run now. */
  isRunning(ref: HostRef): boolean {
    const state = this.#state(ref.name);
    return state.incarnation === ref.incarnation && !state.paused;
  }

  /** Runs `fn` now, holds it until resume if paused, drops it if the process crashed. */
  runIn(ref: HostRef, fn: () => void): void {
    const state = this.#state(ref.name);
    if (state.incarnation !== ref.incarnation) return;
    if (state.paused) state.held.push(fn);
    else fn();
  }

  pause(name: string): void {
    this.#state(name).paused = true;
  }

  /** Unpauses; returns the callbacks held meanwhile, oldest first. */
  resume(name: string): (() => void)[] {
    const state = this.#state(name);
    state.paused = false;
    const held = state.held;
    state.held = [];
    return held;
  }

  /** Starts a new incarnation: the old one's callbacks are dropped; it is not paused. */
  crash(name: string): void {
    const state = this.#state(name);
    state.incarnation++;
    state.paused = false;
    state.held = [];
  }

  /** The lowest port from LISTEN_PORT_FIRST up that `inUse` does not claim. */
  freeListenPort(name: string, inUse: (port: number) => boolean): number {
    const state = this.#state(name);
    while (inUse(state.nextListenPort)) state.nextListenPort++;
    return state.nextListenPort++;
  }

  /** The client port of a new outgoing connection, cycling through the dynamic range. */
  ephemeralPort(name: string): number {
    const state = this.#state(name);
    const port = state.nextEphemeralPort;
    state.nextEphemeralPort = port === EPHEMERAL_PORT_LAST ? EPHEMERAL_PORT_FIRST : port + 1;
    return port;
  }

  #state(name: string): HostState {
    let state = this.#hosts.get(name);
    if (state === undefined) {
      state = {
        incarnation: 0,
        paused: false,
        held: [],
        nextListenPort: LISTEN_PORT_FIRST,
        nextEphemeralPort: EPHEMERAL_PORT_FIRST,
      };
      this.#hosts.set(name, state);
    }
    return state;
  }
}
