// proxy-addr (Express's own client-address resolution) ships no types.
declare module 'proxy-addr' {
  import type { IncomingMessage } from 'node:http';

  /** The client address: the socket's, or the first untrusted hop of X-Forwarded-For. */
  function proxyaddr(
    req: Pick<IncomingMessage, 'headers' | 'socket'>,
    trust: (addr: string, i: number) => boolean,
  ): string;
  export default proxyaddr;
}
