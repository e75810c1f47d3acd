import { zodResolver } from '@hookform/resolvers/zod';
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useForm } from 'react-hook-form';
import { Link, Navigate, useNavigate, useSearchParams } from 'react-router';
import { z } from 'zod';
import { api } from '../api/client';
import { ApiError, type Problem } from '../api/problem';
import { safeReturnTo, startSession, useMe } from '../app/session';
import { TextField } from '../ui/field';
import { ProblemAlert } from '../ui/problem-alert';
import { applyProblem, fieldsIn } from '../ui/form-problem';

export const signInSchema = z.object({
  email: z.string().trim().min(1, 'Enter your email'),
  password: z.string().min(1, 'Enter your password'),
});

export const signUpSchema = z.object({
  companyName: z.string().trim().min(1, 'Enter the company name').max(128),
  name: z.string().trim().max(128),
  email: z.email('Enter a valid email address'),
  password: z.string().min(12, 'Use at least 12 characters').max(256, 'Use at most 256 characters'),
});

// The API accepted the credentials, yet /me still says 401: the cookie never stuck (a Secure cookie
// from an https NEMBL_PUBLIC_URL on a console opened over plain http).
const COOKIE_NOT_KEPT: Problem = {
  title: 'Session not kept',
  status: 0,
  detail: 'The server accepted you, but the browser did not keep the session cookie. Open the console at the address NEMBL_PUBLIC_URL names.',
};

function AuthShell({ title, children }: { title: string; children: React.ReactNode }) {
  return (
    <main className="content narrow auth">
      <p className="brand">Nembl Secrets</p>
      <section className="card">
        <h1>{title}</h1>
        {children}
      </section>
    </main>
  );
}

const useAfterAuth = () => {
  const qc = useQueryClient();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  return async () => {
    const me = await startSession(qc);
    if (!me) throw new ApiError(COOKIE_NOT_KEPT);
    void navigate(safeReturnTo(params.get('returnTo')), { replace: true });
  };
};

export function SignInPage() {
  const me = useMe();
  const [params] = useSearchParams();
  const after = useAfterAuth();
  const [problem, setProblem] = useState<Problem | null>(null);
  const form = useForm<z.infer<typeof signInSchema>>({ resolver: zodResolver(signInSchema), defaultValues: { email: '', password: '' } });
  const { errors, isSubmitting } = form.formState;
  if (me.data && !isSubmitting) return <Navigate to={safeReturnTo(params.get('returnTo'))} replace />;

  const onSubmit = form.handleSubmit(async (values) => {
    setProblem(null);
    try {
      await api.POST('/auth/login', { body: values });
      form.reset();
      await after();
    } catch (err) {
      form.resetField('password');
      setProblem(applyProblem(err, form.setError, { isField: fieldsIn(['email', 'password']) }));
    }
  });

  return (
    <AuthShell title="Sign in">
      <form onSubmit={onSubmit} noValidate aria-busy={isSubmitting}>
        <ProblemAlert problem={problem} onRetry={() => void onSubmit()} />
        <TextField label="Email" type="email" autoComplete="username" error={errors.email?.message} {...form.register('email')} />
        <TextField label="Password" type="password" autoComplete="current-password" error={errors.password?.message} {...form.register('password')} />
        <button type="submit" disabled={isSubmitting}>
          {isSubmitting ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      <p className="muted">
        New here? <Link to={`/sign-up${params.get('returnTo') ? `?returnTo=${encodeURIComponent(params.get('returnTo') ?? '')}` : ''}`}>Create a company</Link>
      </p>
    </AuthShell>
  );
}

export function SignUpPage() {
  const after = useAfterAuth();
  const [problem, setProblem] = useState<Problem | null>(null);
  const form = useForm<z.infer<typeof signUpSchema>>({
    resolver: zodResolver(signUpSchema),
    defaultValues: { companyName: '', name: '', email: '', password: '' },
  });
  const { errors, isSubmitting } = form.formState;

  const onSubmit = form.handleSubmit(async (values) => {
    setProblem(null);
    try {
      await api.POST('/auth/signup', { body: { ...values, ...(values.name ? {} : { name: undefined }) } });
      form.reset();
      await after();
    } catch (err) {
      form.resetField('password');
      setProblem(applyProblem(err, form.setError, { isField: fieldsIn(['companyName', 'name', 'email', 'password']) }));
    }
  });

  return (
    <AuthShell title="Create your company">
      <form onSubmit={onSubmit} noValidate aria-busy={isSubmitting}>
        <ProblemAlert problem={problem} onRetry={() => void onSubmit()} />
        <TextField label="Company name" autoComplete="organization" error={errors.companyName?.message} {...form.register('companyName')} />
        <TextField label="Your name" autoComplete="name" error={errors.name?.message} {...form.register('name')} />
        <TextField label="Email" type="email" autoComplete="email" error={errors.email?.message} {...form.register('email')} />
        <TextField
          label="Password"
          type="password"
          autoComplete="new-password"
          hint="12 to 256 characters."
          error={errors.password?.message}
          {...form.register('password')}
        />
        <button type="submit" disabled={isSubmitting}>
          {isSubmitting ? 'Creating…' : 'Create company'}
        </button>
      </form>
      <p className="muted">
        Already have an account? <Link to="/sign-in">Sign in</Link>
      </p>
    </AuthShell>
  );
}
