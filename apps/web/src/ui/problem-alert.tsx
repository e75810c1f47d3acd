import { isRetryable, type FieldError, type Problem } from '../api/problem';

/** The one `role=alert` region for errors that belong to no field; 503 and network errors offer Retry. */
export function ProblemAlert({ problem, other, onRetry }: { problem: Problem | null; other?: FieldError[]; onRetry?: () => void }) {
  if (!problem) return <div role="alert" className="sr-only-empty" />;
  const rest = other ?? problem.errors ?? [];
  const fieldOnly = problem.errors && problem.errors.length > 0 && rest.length === 0;
  return (
    <div role="alert" className="alert">
      {fieldOnly ? (
        <p>Please correct the highlighted fields.</p>
      ) : (
        <>
          <p className="alert-title">{problem.title}</p>
          {problem.detail && problem.detail !== problem.title && <p>{problem.detail}</p>}
          {rest.length > 0 && (
            <ul>
              {rest.map((e) => (
                <li key={`${e.path}:${e.message}`}>
                  {e.path ? <code>{e.path}</code> : null} {e.message}
                </li>
              ))}
            </ul>
          )}
        </>
      )}
      {onRetry && isRetryable(problem) && (
        <button type="button" onClick={onRetry}>
          Retry
        </button>
      )}
    </div>
  );
}
