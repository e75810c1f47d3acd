import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Navigate, NavLink, Outlet, useLocation, useNavigate } from 'react-router';
import { api } from '../api/client';
import { problemOf, type Problem } from '../api/problem';
import { ProblemAlert } from '../ui/problem-alert';
import { endSession, useMe } from './session';

const SETTINGS_LINKS = [
  ['/settings/secrets', 'Secrets'],
  ['/settings/connectors', 'Connectors'],
  ['/settings/policies', 'Policies'],
  ['/settings/users', 'Users'],
  ['/settings/tokens', 'Tokens'],
] as const;

/** Every signed-in screen: header, navigation, and the screen. A signed-out visit goes to /sign-in and back. */
export function SignedInLayout() {
  const me = useMe();
  const location = useLocation();
  if (me.isPending) return <p role="status" className="loading">Loading…</p>;
  if (me.isError)
    return (
      <main className="content narrow">
        <h1>The console cannot load</h1>
        <ProblemAlert problem={problemOf(me.error)} onRetry={() => void me.refetch()} />
      </main>
    );
  if (!me.data) {
    const returnTo = `${location.pathname}${location.search}`;
    return <Navigate to={`/sign-in?returnTo=${encodeURIComponent(returnTo)}`} replace />;
  }
  const person = me.data.user ? me.data.user.name || me.data.user.email : (me.data.token?.name ?? '');
  return (
    <div className="shell">
      <a href="#main" className="skip-link">
        Skip to content
      </a>
      <header className="topbar">
        <p className="brand">Nembl Secrets</p>
        <p className="company">{me.data.company.name}</p>
        <p className="person">
          <span className="sr-only">Signed in as </span>
          {person}
        </p>
        <SignOutButton />
      </header>
      <div className="body">
        <nav aria-label="Main" className="sidenav">
          <p className="nav-group" id="nav-settings">
            Settings
          </p>
          <ul aria-labelledby="nav-settings">
            {SETTINGS_LINKS.map(([to, label]) => (
              <li key={to}>
                <NavLink to={to}>{label}</NavLink>
              </li>
            ))}
          </ul>
          <p className="nav-group" id="nav-activity">
            Activity
          </p>
          <ul aria-labelledby="nav-activity">
            <li>
              <NavLink to="/workflows">Workflows</NavLink>
            </li>
            <li>
              <NavLink to="/audit">Audit log</NavLink>
            </li>
          </ul>
        </nav>
        <main id="main" className="content" tabIndex={-1}>
          <Outlet />
        </main>
      </div>
    </div>
  );
}

function SignOutButton() {
  const qc = useQueryClient();
  const navigate = useNavigate();
  const [problem, setProblem] = useState<Problem | null>(null);
  const signOut = async () => {
    try {
      await api.POST('/auth/logout');
    } catch (err) {
      setProblem(problemOf(err));
      return;
    }
    endSession(qc);
    void navigate('/sign-in', { replace: true });
  };
  return (
    <>
      <button type="button" className="secondary" onClick={() => void signOut()}>
        Sign out
      </button>
      {problem && <ProblemAlert problem={problem} />}
    </>
  );
}
