import { zodResolver } from '@hookform/resolvers/zod';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useForm } from 'react-hook-form';
import { z } from 'zod';
import { api, unwrap } from '../api/client';
import { problemOf, type Problem } from '../api/problem';
import { PermButton, usePermissions } from '../app/permissions';
import { Dialog } from '../ui/dialog';
import { TextField } from '../ui/field';
import { formatDate, splitList } from '../ui/format';
import { ProblemAlert } from '../ui/problem-alert';
import { applyProblem, fieldsIn, FormActions, listItemToField } from '../ui/form-problem';

export const KNOWN_ROLES = ['Admin', 'Developer', 'Viewer', 'Runner'];

export const userFormSchema = z.object({
  email: z.email('Enter a valid email address'),
  name: z.string().trim().min(1, 'Enter a name').max(128),
  password: z.string().min(12, 'Use at least 12 characters').max(256),
  roles: z.string(),
  groups: z.string(),
});
type UserForm = z.infer<typeof userFormSchema>;

export function RolesDatalist() {
  return (
    <datalist id="known-roles">
      {KNOWN_ROLES.map((r) => (
        <option key={r} value={r} />
      ))}
    </datalist>
  );
}

export function UsersPage() {
  const [creating, setCreating] = useState(false);
  const perms = usePermissions([{ action: 'users:write' }]);
  const list = useQuery({ queryKey: ['users'], queryFn: async () => (await unwrap(api.GET('/users', { params: { query: { limit: 200 } } }))).items });
  return (
    <>
      <div className="page-head">
        <h1>Users</h1>
        <PermButton perm={perms.can('users:write')} onClick={() => setCreating(true)}>
          Create User
        </PermButton>
      </div>
      {list.isError && <ProblemAlert problem={problemOf(list.error)} onRetry={() => void list.refetch()} />}
      <table>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Email</th>
            <th scope="col">Roles</th>
            <th scope="col">Groups</th>
            <th scope="col">Created</th>
          </tr>
        </thead>
        <tbody>
          {list.data?.map((u) => (
            <tr key={u.id}>
              <td>{u.name}</td>
              <td>{u.email}</td>
              <td>{u.roles.join(', ') || '—'}</td>
              <td>{u.groups.join(', ') || '—'}</td>
              <td>{formatDate(u.createdAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <CreateUserDialog open={creating} onOpenChange={setCreating} />
    </>
  );
}

function CreateUserDialog({ open, onOpenChange }: { open: boolean; onOpenChange: (o: boolean) => void }) {
  const qc = useQueryClient();
  const [problem, setProblem] = useState<Problem | null>(null);
  const form = useForm<UserForm>({ resolver: zodResolver(userFormSchema), defaultValues: { email: '', name: '', password: '', roles: 'Developer', groups: '' } });
  const { errors, isSubmitting } = form.formState;
  const onSubmit = form.handleSubmit(async (v) => {
    setProblem(null);
    try {
      await api.POST('/users', { body: { email: v.email, name: v.name, password: v.password, roles: splitList(v.roles), groups: splitList(v.groups) } });
      form.reset();
      void qc.invalidateQueries({ queryKey: ['users'] });
      onOpenChange(false);
    } catch (err) {
      setProblem(applyProblem(err, form.setError, { isField: fieldsIn(['email', 'name', 'password', 'roles', 'groups']), toFormPath: listItemToField }));
      form.resetField('password');
    }
  });
  return (
    <Dialog open={open} onOpenChange={onOpenChange} title="Create User">
      <form onSubmit={onSubmit} noValidate autoComplete="off" aria-busy={isSubmitting}>
        <ProblemAlert problem={problem} other={problem?.errors} onRetry={() => void onSubmit()} />
        <RolesDatalist />
        <TextField label="Email" type="email" autoComplete="off" error={errors.email?.message} {...form.register('email')} />
        <TextField label="Name" autoComplete="off" error={errors.name?.message} {...form.register('name')} />
        <TextField label="Password" type="password" autoComplete="new-password" hint="12 to 256 characters; they change it later." error={errors.password?.message} {...form.register('password')} />
        <TextField label="Roles" list="known-roles" hint="Comma-separated: Admin, Developer, Viewer, Runner or your own." error={errors.roles?.message} {...form.register('roles')} />
        <TextField label="Groups" hint="Comma-separated, e.g. platform, admins." error={errors.groups?.message} {...form.register('groups')} />
        <FormActions busy={isSubmitting} onCancel={() => onOpenChange(false)} />
      </form>
    </Dialog>
  );
}
