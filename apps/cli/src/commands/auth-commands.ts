import { CliError, EXIT, usageError } from '../cli-error.js';
import { loadConfig, saveConfig, configPath } from '../config/config-file.js';
import { DEFAULT_API_URL } from '../config/env.js';
import { apiClient, errorFor, shownUrl } from '../http/api-client.js';
import { csrfShape, loginShape, meShape } from '../http/shapes.js';
import { promptLine, readStdin, stdinIsTty, withoutFinalNewline } from '../terminal/prompt.js';
import { connect, stringOpt, type Command } from './command.js';

interface Me {
  user: { email: string; name?: string } | null;
  token?: { id: string; name: string };
  company: { id: string; name: string };
  roles: string[];
  groups: string[];
}

const principalLabel = (me: Me) => (me.user ? `user ${me.user.email}` : `token ${me.token?.name ?? '?'}`);

const readToken = async (): Promise<string> => {
  const token = stdinIsTty()
    ? await promptLine('Service token: ', { silent: true })
    : withoutFinalNewline(await readStdin()).trim();
  if (!token) throw usageError('no token given on stdin');
  return token;
};

/** Email and password: typed (password not echoed), or two lines on stdin. */
const readCredentials = async (): Promise<{ email: string; password: string }> => {
  if (stdinIsTty()) {
    const email = (await promptLine('Email: ', { silent: false })).trim();
    const password = await promptLine('Password: ', { silent: true });
    return { email, password };
  }
  const [email = '', password = ''] = (await readStdin()).split(/\r?\n/);
  return { email: email.trim(), password };
};

export const loginCommand: Command = {
  name: 'login',
  usage: 'nembl login [--url URL] [--token]',
  summary: 'log in with email and password, or store a service token read from stdin',
  details: `Asks for email and password (the password is not echoed) and stores the session in
$XDG_CONFIG_HOME/nembl/config.json (mode 0600). With --token, reads a service token from stdin
(typed without echo, or piped) and stores that instead. --url sets the API (default: NEMBL_API_URL,
then the stored URL, then ${DEFAULT_API_URL}).

  echo "$TOKEN" | nembl login --token --url https://secrets.example.com`,
  options: { url: { type: 'string' }, token: { type: 'boolean' } },
  run: async (ctx, { values }) => {
    // A config others could have written is replaced, and its URL not trusted with a password.
    const config = loadConfig(ctx.env.configDir, { ifUntrusted: 'ignore' });
    const url = (stringOpt(values.url) ?? ctx.env.apiUrl ?? config.url ?? DEFAULT_API_URL).replace(/\/+$/, '');
    if (values.token) {
      const token = await readToken();
      const me = await apiClient(url, { kind: 'token', token }).ok('GET', '/me', undefined, undefined, meShape);
      saveConfig(ctx.env.configDir, { url, token });
      ctx.note(
        `Logged in to ${shownUrl(url)} as ${principalLabel(me.body)} (${me.body.company.name}); token stored in ${configPath(ctx.env.configDir)}`,
      );
      return;
    }
    const { email, password } = await readCredentials();
    if (!email || !password) throw usageError('email and password are required');
    const anonymous = apiClient(url, { kind: 'none' });
    const res = await anonymous.request('POST', '/auth/login', { email, password });
    if (res.status === 401) throw new CliError(EXIT.auth, 'wrong email or password');
    if (res.status !== 200) throw errorFor(res.status, res.body, 'login failed');
    const who = anonymous.expectShape(res.body, loginShape, 'POST', '/auth/login');
    const cookie =
      (res.headers['set-cookie'] ?? [])
        .map((c) => c.split(';')[0] ?? '')
        .find((c) => c.includes('=') && !c.endsWith('=')) ?? '';
    if (!cookie.includes('=')) throw new CliError(EXIT.failure, 'the API answered the login without a session cookie');
    const csrf = await apiClient(url, { kind: 'session', cookie, csrf: '' }).ok(
      'GET',
      '/auth/csrf',
      undefined,
      undefined,
      csrfShape,
    );
    saveConfig(ctx.env.configDir, { url, session: { cookie, csrf: csrf.body.token } });
    ctx.note(`Logged in to ${shownUrl(url)} as user ${who.user.email} (${who.company.name})`);
  },
};

export const logoutCommand: Command = {
  name: 'logout',
  usage: 'nembl logout',
  summary: 'end the stored session and forget the stored token',
  details:
    'Ends the console session on the server (if one is stored) and removes credentials from the config file; the API URL is kept.',
  options: {},
  run: async (ctx) => {
    const config = loadConfig(ctx.env.configDir, { ifUntrusted: 'ignore' });
    if (config.session) {
      // Best effort: the local credentials go either way.
      await apiClient(config.url ?? DEFAULT_API_URL, { kind: 'session', ...config.session })
        .request('POST', '/auth/logout', {})
        .catch(() => undefined);
    }
    saveConfig(ctx.env.configDir, config.url ? { url: config.url } : {});
    ctx.note('Logged out');
  },
};

export const whoamiCommand: Command = {
  name: 'whoami',
  usage: 'nembl whoami [--json]',
  summary: 'show the company, principal, roles and groups you act as',
  details: 'Uses NEMBL_TOKEN when set, else what `nembl login` stored.',
  options: { json: { type: 'boolean' } },
  run: async (ctx, { values }) => {
    // One config read: the client knows the URL it talks to.
    const api = connect(ctx);
    const url = api.root;
    const me = (await api.ok('GET', '/me', undefined, undefined, meShape)).body;
    if (values.json) {
      ctx.printJson({
        url: shownUrl(url),
        company: me.company,
        user: me.user,
        token: me.token ?? null,
        roles: me.roles,
        groups: me.groups,
      });
      return;
    }
    ctx.print(`api:       ${shownUrl(url)}`);
    ctx.print(`company:   ${me.company.name} (${me.company.id})`);
    ctx.print(`principal: ${principalLabel(me)}`);
    ctx.print(`roles:     ${me.roles.join(', ') || '-'}`);
    ctx.print(`groups:    ${me.groups.join(', ') || '-'}`);
  },
};
