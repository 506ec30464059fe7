// node-red-node-test-helper ships no types; these cover what the tests use.
declare module 'node-red-node-test-helper' {
  import type { Node } from 'node-red';
  /** The part of supertest's request the tests use. */
  interface Test extends PromiseLike<{ status: number; body: unknown; text: string }> {
    set(header: string, value: string): Test;
  }
  interface TestHelper {
    init(nodeRedRuntime: string, userSettings?: Record<string, unknown>): void;
    load(nodes: unknown, flow: unknown[], credentials?: Record<string, unknown>): Promise<void>;
    unload(): Promise<void>;
    getNode(id: string): Node;
    startServer(): Promise<void>;
    stopServer(): Promise<void>;
    settings(settings: Record<string, unknown>): void;
    request(): { get(path: string): Test; post(path: string): Test };
    url(): string;
    clearFlows(): Promise<void>;
    setFlows(flow: unknown[], type?: string, credentials?: Record<string, unknown>): Promise<void>;
  }
  const helper: TestHelper;
  export = helper;
}
