import { useCallback, useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { ApiError, fetchMe, fieldErrorsOf, login, logout, signup, type FieldError, type Me, type Problem } from './api';

type Session =
  | { state: 'loading' }
  | { state: 'signed-out' }
  | { state: 'signed-in'; me: Me }
  | { state: 'unavailable'; problem: Problem };

/** Reports whether the browser now holds a working session. */
type Reload = () => Promise<boolean>;

const problemOf = (err: unknown): Problem =>
  err instanceof ApiError
    ? err.problem
    : {
        title: 'Unexpected error',
        status: 0,
        detail: 'Something went wrong in the console. Reload the page and try again.',
      };

const text = (data: FormData, name: string): string => {
  const value = data.get(name);
  return typeof value === 'string' ? value : '';
};

// The API accepted the credentials, yet /me still says 401: the cookie never stuck. The usual cause
// is a Secure cookie (https NEMBL_PUBLIC_URL) on a console opened over plain http.
const COOKIE_NOT_KEPT: Problem = {
  title: 'Session not kept',
  status: 0,
  detail:
    'The server accepted you, but the browser did not keep the session cookie. ' +
    'Open the console at the address NEMBL_PUBLIC_URL names (https if it is https).',
};

export function App() {
  const [session, setSession] = useState<Session>({ state: 'loading' });

  const reload = useCallback<Reload>(async () => {
    try {
      const me = await fetchMe();
      setSession(me ? { state: 'signed-in', me } : { state: 'signed-out' });
      return me !== null;
    } catch (err) {
      setSession({ state: 'unavailable', problem: problemOf(err) });
      return false;
    }
  }, []);

  useEffect(() => {
    void reload();
  }, [reload]);

  return (
    <>
      <header className="topbar">
        <p className="brand">Nembl Secrets</p>
      </header>
      <main className="content">
        {session.state === 'loading' && (
          <p role="status" className="muted">
            Loading…
          </p>
        )}
        {session.state === 'unavailable' && <Unavailable problem={session.problem} onRetry={reload} />}
        {session.state === 'signed-out' && <SignedOut onAuthenticated={reload} />}
        {session.state === 'signed-in' && (
          <SignedIn me={session.me} onSignedOut={() => setSession({ state: 'signed-out' })} />
        )}
      </main>
    </>
  );
}

function Unavailable({ problem, onRetry }: { problem: Problem; onRetry: Reload }) {
  return (
    <section className="card" aria-labelledby="unavailable-heading">
      <h1 id="unavailable-heading">The console cannot load</h1>
      <ProblemAlert problem={problem} />
      <button type="button" onClick={() => void onRetry()}>
        Try again
      </button>
    </section>
  );
}

function SignedOut({ onAuthenticated }: { onAuthenticated: Reload }) {
  return (
    <>
      <h1 className="page-title">Welcome</h1>
      <div className="columns">
        <SignInForm onAuthenticated={onAuthenticated} />
        <SignupForm onAuthenticated={onAuthenticated} />
      </div>
    </>
  );
}

const LOGIN_FIELDS = ['email', 'password'] as const;

function SignInForm({ onAuthenticated }: { onAuthenticated: Reload }) {
  const form = useSubmit(async (data) => {
    await login({ email: text(data, 'email').trim(), password: text(data, 'password') });
    if (!(await onAuthenticated())) throw new ApiError(COOKIE_NOT_KEPT);
  });
  const { byField, other } = fieldErrorsOf(form.problem, LOGIN_FIELDS);

  return (
    <section className="card" aria-labelledby="sign-in-heading">
      <h2 id="sign-in-heading">Sign in</h2>
      <form ref={form.ref} onSubmit={form.onSubmit} aria-busy={form.pending}>
        <ProblemAlert problem={form.problem} other={other} />
        <Field name="email" label="Email" type="email" autoComplete="username" required error={byField.email} />
        <Field
          name="password"
          label="Password"
          type="password"
          autoComplete="current-password"
          required
          error={byField.password}
        />
        <button type="submit" disabled={form.pending}>
          {form.pending ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </section>
  );
}

const SIGNUP_FIELDS = ['companyName', 'name', 'email', 'password'] as const;

function SignupForm({ onAuthenticated }: { onAuthenticated: Reload }) {
  const form = useSubmit(async (data) => {
    const name = text(data, 'name').trim();
    await signup({
      companyName: text(data, 'companyName').trim(),
      email: text(data, 'email').trim(),
      password: text(data, 'password'),
      // `name` is optional, but an empty one is invalid: leave it out instead.
      ...(name ? { name } : {}),
    });
    if (!(await onAuthenticated())) throw new ApiError(COOKIE_NOT_KEPT);
  });
  const { byField, other } = fieldErrorsOf(form.problem, SIGNUP_FIELDS);

  return (
    <section className="card" aria-labelledby="signup-heading">
      <h2 id="signup-heading">Create a company</h2>
      <p className="muted">Start a new company account. You become its first admin.</p>
      <form ref={form.ref} onSubmit={form.onSubmit} aria-busy={form.pending}>
        <ProblemAlert problem={form.problem} other={other} />
        <Field
          name="companyName"
          label="Company name"
          autoComplete="organization"
          required
          maxLength={128}
          error={byField.companyName}
        />
        <Field name="name" label="Your name" autoComplete="name" maxLength={128} error={byField.name} />
        <Field name="email" label="Email" type="email" autoComplete="email" required error={byField.email} />
        <Field
          name="password"
          label="Password"
          type="password"
          autoComplete="new-password"
          required
          minLength={12}
          maxLength={256}
          hint="At least 12 characters."
          error={byField.password}
        />
        <button type="submit" disabled={form.pending}>
          {form.pending ? 'Creating…' : 'Create company'}
        </button>
      </form>
    </section>
  );
}

function SignedIn({ me, onSignedOut }: { me: Me; onSignedOut: () => void }) {
  const [pending, setPending] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);

  const signOut = async () => {
    setPending(true);
    setProblem(null);
    try {
      await logout();
      onSignedOut();
    } catch (err) {
      // No session any more (expired, or ended elsewhere): that is signed out as well.
      if (err instanceof ApiError && err.status === 401) onSignedOut();
      else {
        setProblem(problemOf(err));
        setPending(false);
      }
    }
  };

  return (
    <>
      <h1 className="page-title">{me.company.name}</h1>
      <section className="card" aria-labelledby="account-heading">
        <h2 id="account-heading">Your account</h2>
        <dl className="facts">
          <dt>Company</dt>
          <dd>{me.company.name}</dd>
          <dt>Signed in as</dt>
          <dd>{me.user?.email ?? me.token?.name ?? 'unknown'}</dd>
          <dt>Roles</dt>
          <dd>
            {me.roles.length > 0 ? (
              <ul className="tags" aria-label="Roles">
                {me.roles.map((role) => (
                  <li key={role}>{role}</li>
                ))}
              </ul>
            ) : (
              <span className="muted">None</span>
            )}
          </dd>
        </dl>
        <ProblemAlert problem={problem} />
        <button type="button" onClick={() => void signOut()} disabled={pending}>
          {pending ? 'Signing out…' : 'Sign out'}
        </button>
      </section>
      <section className="card note" aria-labelledby="secrets-heading">
        <h2 id="secrets-heading">Secrets</h2>
        <p>
          The secrets console is coming soon: creating, rotating and auditing secrets from here. Until then, use the
          HTTP API at <code>/api/v1</code>.
        </p>
      </section>
    </>
  );
}

/** Pending and problem state for a form whose submit calls the API; focuses the first invalid field on error. */
function useSubmit(submit: (data: FormData) => Promise<void>) {
  const ref = useRef<HTMLFormElement>(null);
  const [pending, setPending] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);

  useEffect(() => {
    if (!problem) return;
    const target =
      ref.current?.querySelector<HTMLElement>('[aria-invalid="true"]') ??
      ref.current?.querySelector<HTMLElement>('[role="alert"]');
    target?.focus();
  }, [problem]);

  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    setPending(true);
    setProblem(null);
    submit(data).then(
      () => setPending(false),
      (err: unknown) => {
        setProblem(problemOf(err));
        setPending(false);
      },
    );
  };

  return { ref, pending, problem, onSubmit };
}

interface FieldProps {
  name: string;
  label: string;
  type?: 'text' | 'email' | 'password';
  autoComplete?: string;
  required?: boolean;
  minLength?: number;
  maxLength?: number;
  hint?: string;
  error?: string | undefined;
}

function Field({ name, label, type = 'text', autoComplete, required, minLength, maxLength, hint, error }: FieldProps) {
  const id = useId();
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const describedBy = [hint ? hintId : null, error ? errorId : null].filter(Boolean).join(' ');

  return (
    <div className="field">
      <label htmlFor={id}>
        {label}
        {!required && <span className="muted"> (optional)</span>}
      </label>
      <input
        id={id}
        name={name}
        type={type}
        autoComplete={autoComplete}
        required={required}
        minLength={minLength}
        maxLength={maxLength}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy || undefined}
      />
      {hint && (
        <p id={hintId} className="hint">
          {hint}
        </p>
      )}
      {error && (
        <p id={errorId} className="field-error">
          {error}
        </p>
      )}
    </div>
  );
}

function ProblemAlert({ problem, other = [] }: { problem: Problem | null; other?: FieldError[] }) {
  if (!problem) return null;
  return (
    <div role="alert" tabIndex={-1} className="alert">
      <p className="alert-title">{problem.detail ?? problem.title}</p>
      {other.length > 0 && (
        <ul>
          {other.map((e) => (
            <li key={`${e.path}:${e.message}`}>
              {e.path ? <code>{e.path}</code> : null} {e.message}
            </li>
          ))}
        </ul>
      )}
      {problem.requestId ? <p className="hint">Request id: {problem.requestId}</p> : null}
    </div>
  );
}
