import type { UseFormRegisterReturn } from 'react-hook-form';
import { TextArea, TextField } from '../ui/field';

/**
 * A secret value: a password-type input, or a textarea with the same label for multi-line values
 * (certificates). Uncontrolled (the value never becomes a DOM attribute) and never offered to
 * password managers.
 */
export function ValueField({
  label,
  multiline,
  registration,
  multilineToggle,
  error,
  hint,
}: {
  label: string;
  multiline: boolean;
  registration: UseFormRegisterReturn;
  multilineToggle: UseFormRegisterReturn;
  error?: string | undefined;
  hint?: string;
}) {
  return (
    <div className="value-field">
      {multiline ? (
        <TextArea
          label={label}
          rows={6}
          autoComplete="off"
          spellCheck={false}
          autoCapitalize="off"
          autoCorrect="off"
          className="mono masked"
          data-1p-ignore
          data-lpignore="true"
          hint={hint}
          error={error}
          {...registration}
        />
      ) : (
        <TextField
          label={label}
          type="password"
          autoComplete="new-password"
          spellCheck={false}
          autoCapitalize="off"
          data-1p-ignore
          data-lpignore="true"
          hint={hint}
          error={error}
          {...registration}
        />
      )}
      <label className="check">
        <input type="checkbox" {...multilineToggle} /> Multi-line
      </label>
    </div>
  );
}
