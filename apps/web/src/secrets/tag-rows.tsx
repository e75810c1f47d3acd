import { useFieldArray, type Control, type FieldErrors, type UseFormRegister } from 'react-hook-form';
import { TextField } from '../ui/field';
import { TAG_SUGGESTIONS } from './secret-form';

type WithTags = { tags: Array<{ key: string; value: string }> };

/** Tags as rows of `Tag key` / `Tag value`, with suggested keys (environment, service, sensitivity). */
export function TagRows<T extends WithTags>({
  control,
  register,
  errors,
  watchTags,
}: {
  control: Control<T>;
  register: UseFormRegister<T>;
  errors: FieldErrors<T>;
  watchTags: Array<{ key: string; value: string }>;
}) {
  const c = control as unknown as Control<WithTags>;
  const reg = register as unknown as UseFormRegister<WithTags>;
  const errs = errors as FieldErrors<WithTags>;
  const { fields, append, remove } = useFieldArray({ control: c, name: 'tags' });
  return (
    <fieldset className="tags">
      <legend>Tags</legend>
      <datalist id="tag-key-suggestions">
        {Object.keys(TAG_SUGGESTIONS).map((k) => (
          <option key={k} value={k} />
        ))}
      </datalist>
      {Object.entries(TAG_SUGGESTIONS).map(([k, values]) => (
        <datalist key={k} id={`tag-values-${k}`}>
          {values.map((v) => (
            <option key={v} value={v} />
          ))}
        </datalist>
      ))}
      {fields.length === 0 && <p className="hint">No tags. Tags such as environment, service and sensitivity let policies and filters find this secret.</p>}
      {fields.map((f, i) => {
        const key = watchTags[i]?.key ?? '';
        return (
          <div className="tag-row" key={f.id}>
            <TextField
              label="Tag key"
              list="tag-key-suggestions"
              autoComplete="off"
              error={errs.tags?.[i]?.key?.message}
              {...reg(`tags.${i}.key` as const)}
            />
            <TextField
              label="Tag value"
              autoComplete="off"
              list={TAG_SUGGESTIONS[key] ? `tag-values-${key}` : undefined}
              error={errs.tags?.[i]?.value?.message}
              {...reg(`tags.${i}.value` as const)}
            />
            <button type="button" className="secondary small" onClick={() => remove(i)} aria-label={`Remove tag ${key || i + 1}`}>
              Remove
            </button>
          </div>
        );
      })}
      {errs.tags?.message && (
        <span role="alert" className="field-error">
          {errs.tags.message}
        </span>
      )}
      <button type="button" className="secondary" onClick={() => append({ key: '', value: '' }, { shouldFocus: true })}>
        Add tag
      </button>
    </fieldset>
  );
}
