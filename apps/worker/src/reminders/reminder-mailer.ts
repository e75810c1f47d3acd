import { connect } from 'node:net';
import nodemailer, { type Transporter } from 'nodemailer';
import { parseConnectionUrl } from 'nodemailer/lib/shared/index.js';
import type SMTPPool from 'nodemailer/lib/smtp-pool/index.js';

export interface Mail {
  to: string[];
  subject: string;
  text: string;
  html: string;
}

export interface SentMail {
  accepted: string[];
  rejected: string[];
}

export interface Mailer {
  send(mail: Mail): Promise<SentMail>;
  close(): void;
}

/**
 * Opens plain SMTP sockets with TCP_NODELAY: on a pooled, reused connection nodemailer's small
 * writes otherwise wait on Nagle's algorithm and delayed ACKs (~40 ms per message).
 */
const noDelaySocket: SMTPPool.Options['getSocket'] = (options, callback) => {
  const socket = connect({ host: options.host ?? '127.0.0.1', port: options.port ?? 25, noDelay: true });
  const timeout = setTimeout(() => socket.destroy(new Error('SMTP connection timeout')), options.connectionTimeout ?? 10_000);
  socket.once('error', (err) => {
    clearTimeout(timeout);
    callback(err, undefined);
  });
  socket.once('connect', () => {
    clearTimeout(timeout);
    callback(null, { connection: socket });
  });
};

/**
 * A pooled SMTP transport from `SMTP_URL` (`smtp://` plain or STARTTLS when offered,
 * `smtps://` implicit TLS; credentials in the URL; options such as `?requireTLS=true` or
 * `?tls.rejectUnauthorized=false` as query parameters). The URL is parsed here rather than
 * passed as `url`, because nodemailer ignores every other option (the pool included) when given
 * a URL; the URL's own parameters still win.
 */
export const smtpMailerFactory = (opts: { url: string; from: string; maxConnections?: number }): Mailer => {
  const fromUrl = parseConnectionUrl(opts.url);
  const implicitTls = fromUrl.secure === true;
  const transport: Transporter = nodemailer.createTransport({
    pool: true,
    maxConnections: opts.maxConnections ?? 5,
    maxMessages: 500,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
    ...fromUrl,
    // Implicit TLS needs nodemailer's own TLS connect; plain/STARTTLS sockets get TCP_NODELAY.
    ...(implicitTls ? {} : { getSocket: noDelaySocket }),
  } as SMTPPool.Options);
  return {
    send: async (mail) => {
      const info = await transport.sendMail({ from: opts.from, to: mail.to, subject: mail.subject, text: mail.text, html: mail.html });
      return { accepted: (info.accepted ?? []).map(String), rejected: (info.rejected ?? []).map(String) };
    },
    close: () => transport.close(),
  };
};

/** SMTP 5xx replies are permanent (the address or message is refused); the rest may pass later. */
export const isPermanentSmtpError = (err: unknown): boolean => {
  const code = (err as { responseCode?: number }).responseCode;
  return typeof code === 'number' && code >= 500 && code < 600;
};
