import { forwardRef, useId, type InputHTMLAttributes, type ReactNode, type SelectHTMLAttributes, type TextareaHTMLAttributes } from 'react';

interface Wrap {
  label: string;
  hint?: ReactNode;
  error?: string | undefined;
}

/** Label, control, hint and error, wired with `aria-describedby` and `aria-invalid`. */
const useDescribed = (hint: ReactNode | undefined, error: string | undefined) => {
  const id = useId();
  const hintId = hint ? `${id}-hint` : undefined;
  const errorId = error ? `${id}-error` : undefined;
  const describedBy = [errorId, hintId].filter(Boolean).join(' ') || undefined;
  return { id, hintId, errorId, describedBy };
};

function Extras({ hint, hintId, error, errorId }: { hint?: ReactNode; hintId?: string | undefined; error?: string | undefined; errorId?: string | undefined }) {
  return (
    <>
      {hint && (
        <span id={hintId} className="hint">
          {hint}
        </span>
      )}
      {error && (
        <span id={errorId} role="alert" className="field-error">
          {error}
        </span>
      )}
    </>
  );
}

export const TextField = forwardRef<HTMLInputElement, Wrap & InputHTMLAttributes<HTMLInputElement>>(function TextField(
  { label, hint, error, className, ...rest },
  ref,
) {
  const d = useDescribed(hint, error);
  return (
    <div className={`field ${className ?? ''}`}>
      <label htmlFor={d.id}>{label}</label>
      <input ref={ref} id={d.id} aria-invalid={error ? true : undefined} aria-describedby={d.describedBy} {...rest} />
      <Extras hint={hint} hintId={d.hintId} error={error} errorId={d.errorId} />
    </div>
  );
});

export const TextArea = forwardRef<HTMLTextAreaElement, Wrap & TextareaHTMLAttributes<HTMLTextAreaElement>>(function TextArea(
  { label, hint, error, className, ...rest },
  ref,
) {
  const d = useDescribed(hint, error);
  return (
    <div className={`field ${className ?? ''}`}>
      <label htmlFor={d.id}>{label}</label>
      <textarea ref={ref} id={d.id} aria-invalid={error ? true : undefined} aria-describedby={d.describedBy} {...rest} />
      <Extras hint={hint} hintId={d.hintId} error={error} errorId={d.errorId} />
    </div>
  );
});

export interface Option {
  value: string;
  label: string;
}

export const SelectField = forwardRef<HTMLSelectElement, Wrap & SelectHTMLAttributes<HTMLSelectElement> & { options: Option[] }>(
  function SelectField({ label, hint, error, options, className, ...rest }, ref) {
    const d = useDescribed(hint, error);
    return (
      <div className={`field ${className ?? ''}`}>
        <label htmlFor={d.id}>{label}</label>
        <select ref={ref} id={d.id} aria-invalid={error ? true : undefined} aria-describedby={d.describedBy} {...rest}>
          {options.map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
        </select>
        <Extras hint={hint} hintId={d.hintId} error={error} errorId={d.errorId} />
      </div>
    );
  },
);
