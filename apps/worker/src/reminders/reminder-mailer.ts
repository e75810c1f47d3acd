import nodemailer, { type Transporter } from 'nodemailer';

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
 * A pooled SMTP transport from `SMTP_URL` (`smtp://` plain or STARTTLS when offered,
 * `smtps://` implicit TLS; credentials in the URL; options such as `?requireTLS=true` or
 * `?tls.rejectUnauthorized=false` as query parameters, which nodemailer reads).
 */
export const smtpMailerFactory = (opts: { url: string; from: string; maxConnections?: number }): Mailer => {
  const transport: Transporter = nodemailer.createTransport({
    url: opts.url,
    pool: true,
    maxConnections: opts.maxConnections ?? 5,
    maxMessages: 500,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
  } as Parameters<typeof nodemailer.createTransport>[0]);
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
