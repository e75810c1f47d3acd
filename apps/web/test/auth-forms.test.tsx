import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { SignInPage, SignUpPage } from '../src/auth/auth-pages';
import { safeReturnTo } from '../src/app/session';
import { installFakeApi, ME } from './fake-api';
import { renderAt } from './render';

const signedOut = ({ path }: { path: string }) => (path === '/api/v1/me' ? { status: 401, body: { title: 'Unauthorized', status: 401 } } : undefined);

describe('sign in and sign up', () => {
  it('asks for both fields before calling the API', async () => {
    const calls = installFakeApi(signedOut);
    renderAt('/sign-in', [{ path: '/sign-in', element: <SignInPage /> }]);
    await userEvent.setup().click(screen.getByRole('button', { name: 'Sign in' }));
    await waitFor(() => expect(screen.getByLabelText('Email')).toHaveAccessibleDescription('Enter your email'));
    expect(screen.getByLabelText('Password')).toHaveAccessibleDescription('Enter your password');
    expect(calls.some((c) => c.path === '/api/v1/auth/login')).toBe(false);
  });

  it('says when the credentials are wrong and empties the password', async () => {
    installFakeApi(({ method, path }) => {
      if (path === '/api/v1/me') return signedOut({ path });
      if (method === 'POST' && path === '/api/v1/auth/login') return { status: 401, body: { title: 'Unauthorized', status: 401, detail: 'Wrong email or password.' } };
      return undefined;
    });
    renderAt('/sign-in', [{ path: '/sign-in', element: <SignInPage /> }]);
    const user = userEvent.setup();
    await user.type(screen.getByLabelText('Email'), 'ada@acme.test');
    await user.type(screen.getByLabelText('Password'), 'not the password');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('Wrong email or password.');
    expect(screen.getByLabelText('Password')).toHaveValue('');
  });

  it('goes back to the page the person came from after signing in', async () => {
    let signedIn = false;
    installFakeApi(({ method, path }) => {
      if (path === '/api/v1/me') return signedIn ? { status: 200, body: ME } : signedOut({ path });
      if (method === 'POST' && path === '/api/v1/auth/login') {
        signedIn = true;
        return { status: 200, body: { user: ME.user, company: ME.company } };
      }
      return undefined;
    });
    const { router } = renderAt('/sign-in?returnTo=%2Fsettings%2Fconnectors', [
      { path: '/sign-in', element: <SignInPage /> },
      { path: '/settings/connectors', element: <p>connectors</p> },
    ]);
    const user = userEvent.setup();
    await user.type(screen.getByLabelText('Email'), 'ada@acme.test');
    await user.type(screen.getByLabelText('Password'), 'correct horse battery');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    await screen.findByText('connectors');
    expect(router.state.location.pathname).toBe('/settings/connectors');
  });

  it('returns only to a path on this origin', () => {
    expect(safeReturnTo('/settings/secrets/github-api-token?x=1')).toBe('/settings/secrets/github-api-token?x=1');
    for (const outside of ['//evil.test/x', 'https://evil.test', '/\\evil.test', 'javascript:alert(1)', null, '/sign-in'])
      expect(safeReturnTo(outside)).toBe('/settings/secrets');
  });

  it('rejects a short password and an invalid email on sign up, and shows the API field errors', async () => {
    installFakeApi(({ method, path }) => {
      if (path === '/api/v1/me') return signedOut({ path });
      if (method === 'POST' && path === '/api/v1/auth/signup')
        return { status: 409, body: { title: 'Conflict', status: 409, errors: [{ path: 'email', message: 'is already registered' }] } };
      return undefined;
    });
    renderAt('/sign-up', [{ path: '/sign-up', element: <SignUpPage /> }]);
    const user = userEvent.setup();
    await user.type(screen.getByLabelText('Company name'), 'Acme');
    await user.type(screen.getByLabelText('Email'), 'not-an-email');
    await user.type(screen.getByLabelText('Password'), 'short');
    await user.click(screen.getByRole('button', { name: 'Create company' }));
    await waitFor(() => expect(screen.getByLabelText('Password')).toHaveAccessibleDescription(/at least 12 characters/));
    expect(screen.getByLabelText('Email')).toHaveAccessibleDescription(/valid email/);
    await user.clear(screen.getByLabelText('Email'));
    await user.type(screen.getByLabelText('Email'), 'ada@acme.test');
    await user.type(screen.getByLabelText('Password'), 'long enough password');
    await user.click(screen.getByRole('button', { name: 'Create company' }));
    await waitFor(() => expect(screen.getByLabelText('Email')).toHaveAccessibleDescription(/is already registered/));
  });
});
