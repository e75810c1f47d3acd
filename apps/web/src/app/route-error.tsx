import { useRouteError } from 'react-router';
import { problemOf } from '../api/problem';
import { ProblemAlert } from '../ui/problem-alert';

/** A screen that failed to load (a chunk after a deploy, a render error): say so, offer Retry. */
export function RouteError() {
  const err = useRouteError();
  const problem = { ...problemOf(err), status: 0 };
  return (
    <main className="content narrow">
      <h1>This screen could not load</h1>
      <ProblemAlert problem={problem} onRetry={() => window.location.reload()} />
    </main>
  );
}
