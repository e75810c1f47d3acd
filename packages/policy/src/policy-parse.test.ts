import { describe, expect, it } from 'vitest';
import { formatPath, parsePolicyDocument } from './policy-parse.js';

const statement = (over: Record<string, unknown> = {}) => ({
  sid: 'ok',
  effect: 'allow',
  actions: ['secrets:read'],
  principals: '*',
  ...over,
});
const doc = (...statements: unknown[]) => ({ name: 'p', statements });

/** The errors of an input that must be rejected. */
const errorsOf = (input: unknown) => {
  const result = parsePolicyDocument(input);
  if (result.ok) throw new Error('expected the document to be rejected');
  return result.errors;
};

/** Asserts exactly one error at `path` whose message matches `message`. */
const expectError = (input: unknown, path: string, message: RegExp) => {
  const errors = errorsOf(input);
  expect(errors).toHaveLength(1);
  expect(errors[0]?.path).toBe(path);
  expect(errors[0]?.message).toMatch(message);
};

describe('formatPath', () => {
  it('joins keys with dots and indexes with brackets', () => {
    expect(formatPath(['statements', 2, 'conditions'])).toBe('statements[2].conditions');
    expect(formatPath([])).toBe('');
  });
});

describe('parsePolicyDocument', () => {
  it('accepts the document from policy.md and returns a clean copy', () => {
    const input = {
      name: 'Restrict production secrets',
      description: 'Only admins change production credentials',
      statements: [
        {
          sid: 'deny-prod-update',
          effect: 'deny',
          actions: ['secrets:update', 'secrets:delete'],
          principals: '*',
          notPrincipals: { roles: ['Admin'], groups: ['admins'] },
          resources: ['secret:*'],
          conditions: { StringEquals: { 'resource.tag/environment': 'production' } },
        },
      ],
    };
    const result = parsePolicyDocument(input);
    expect(result).toEqual({ ok: true, document: input });
    if (result.ok) expect(result.document.statements).not.toBe(input.statements);
  });

  it('accepts every operator, key and glob form', () => {
    const result = parsePolicyDocument(
      doc(
        statement({
          actions: ['*', 'secrets:*', 'workflows:?un', '*:read'],
          principals: { users: ['u'], tokens: ['t'], roles: ['r'], groups: ['g'] },
          resources: ['*', 'secret:prod-*', 'connector:github', 'workflow:deploy-?'],
          conditions: {
            StringEquals: { 'resource.kind': 'secret', 'principal.type': ['user', 'token'] },
            StringNotEquals: { 'resource.secretType': 'password' },
            StringLike: { 'resource.name': 'prod-*', 'principal.id': 'u-*' },
            StringNotLike: { 'request.tag/env': 'prod*' },
            Null: { 'resource.tag/owner': true, 'request.tag/env': 'false' },
            'ForAnyValue:StringEquals': { 'principal.roles': ['Developer'] },
            'ForAnyValue:StringLike': { 'principal.groups': 'team-*' },
            'ForAllValues:StringEquals': { 'principal.groups': ['a', 'b'] },
            'ForAllValues:StringLike': { 'principal.roles': '*' },
          },
        }),
        { effect: 'deny', actions: ['audit:read'], principals: { roles: ['Viewer'] } },
      ),
    );
    expect(result.ok).toBe(true);
  });

  it('accepts exactly 100 statements', () => {
    const statements = Array.from({ length: 100 }, (_, i) => statement({ sid: `s${i}` }));
    expect(parsePolicyDocument(doc(...statements)).ok).toBe(true);
  });

  describe('rejects', () => {
    it('an unknown action', () => {
      expectError(
        doc(statement(), statement({ sid: 'x', actions: ['secrets:read', 'secrets:reed'] })),
        'statements[1].actions[1]',
        /unknown action "secrets:reed"/,
      );
    });

    it('an action glob that matches no known action', () => {
      expectError(
        doc(statement({ actions: ['buckets:*'] })),
        'statements[0].actions[0]',
        /"buckets:\*" matches no known action/,
      );
    });

    it('actions that differ only in case', () => {
      expectError(doc(statement({ actions: ['Secrets:Read'] })), 'statements[0].actions[0]', /unknown action/);
    });

    it('an empty actions list', () => {
      expectError(doc(statement({ actions: [] })), 'statements[0].actions', /at least one action/);
    });

    it('missing actions', () => {
      expectError(doc({ effect: 'allow', principals: '*' }), 'statements[0].actions', /is required/);
    });

    it('an unknown operator, naming the conditions of the statement', () => {
      const bad = statement({ sid: 'c', conditions: { StringEqual: { 'resource.name': 'x' } } });
      expectError(
        doc(statement({ sid: 'a' }), statement({ sid: 'b' }), bad),
        'statements[2].conditions',
        /unknown operator "StringEqual"/,
      );
    });

    it('an unknown condition key, naming the operator', () => {
      expectError(
        doc(statement({ conditions: { StringEquals: { 'resource.colour': 'red' } } })),
        'statements[0].conditions.StringEquals',
        /unknown condition key "resource.colour"/,
      );
    });

    it.each(['aws:PrincipalTag/x', 'resource.tag/', 'request.tag/', 'Resource.kind', 'principal.role'])(
      'the unknown key prefix %j',
      (key) => {
        expectError(
          doc(statement({ conditions: { StringLike: { [key]: 'x' } } })),
          'statements[0].conditions.StringLike',
          /unknown condition key/,
        );
      },
    );

    it('more than 100 statements', () => {
      const statements = Array.from({ length: 101 }, (_, i) => statement({ sid: `s${i}` }));
      expectError(doc(...statements), 'statements', /at most 100 statements.*101/);
    });

    it('no statements', () => {
      expectError(doc(), 'statements', /at least one statement/);
    });

    it.each([
      ['', /must not be empty/],
      ['bucket:*', /unknown resource type "bucket"/],
      ['secret', /not a resource pattern/],
      ['secret:', /empty name glob/],
      ['secret:prod *', /whitespace/],
      ['secrets:*', /unknown resource type "secrets"/],
    ])('the bad resource glob %j', (pattern, message) => {
      expectError(doc(statement({ resources: ['*', pattern] })), 'statements[0].resources[1]', message);
    });

    it('an empty action glob', () => {
      expectError(doc(statement({ actions: [''] })), 'statements[0].actions[0]', /must not be empty/);
    });

    it('an empty resources list', () => {
      expectError(doc(statement({ resources: [] })), 'statements[0].resources', /at least one resource/);
    });

    it('unknown fields at every level', () => {
      const errors = errorsOf({
        name: 'p',
        version: '2012-10-17',
        statements: [statement({ Effect: 'Allow', principals: { roles: ['r'], services: ['s'] } })],
      });
      expect(errors.map((e) => e.path).sort()).toEqual([
        'statements[0].Effect',
        'statements[0].principals.services',
        'version',
      ]);
      expect(errors.every((e) => /unknown field/.test(e.message))).toBe(true);
    });

    it.each([
      ['name', /must be a string, got a number/, { name: 5, statements: [statement()] }],
      ['name', /must not be empty/, { name: '', statements: [statement()] }],
      ['name', /blank/, { name: '   ', statements: [statement()] }],
      ['name', /at most 128/, { name: 'x'.repeat(129), statements: [statement()] }],
      ['name', /is required/, { statements: [statement()] }],
      ['description', /at most 1024/, { name: 'p', description: 'x'.repeat(1025), statements: [statement()] }],
      ['description', /got null/, { name: 'p', description: null, statements: [statement()] }],
      ['statements', /must be a list, got an object/, { name: 'p', statements: {} }],
      ['statements[0]', /statement object, got a string/, doc('allow')],
      ['statements[0].effect', /"allow" or "deny"/, doc(statement({ effect: 'Allow' }))],
      ['statements[0].effect', /is required/, doc(statement({ effect: undefined }))],
      ['statements[0].actions', /must be a list, got a string/, doc(statement({ actions: 'secrets:read' }))],
      ['statements[0].actions[0]', /must be a string, got a number/, doc(statement({ actions: [1] }))],
      ['statements[0].principals', /"\*" or an object/, doc(statement({ principals: 'everyone' }))],
      ['statements[0].principals', /got a list/, doc(statement({ principals: ['*'] }))],
      ['statements[0].principals', /at least one user, token, role or group/, doc(statement({ principals: {} }))],
      ['statements[0].principals.roles', /must be a list/, doc(statement({ principals: { roles: 'Admin' } }))],
      ['statements[0].principals.roles[0]', /must not be empty/, doc(statement({ principals: { roles: [''] } }))],
      ['statements[0].notPrincipals', /must be an object/, doc(statement({ notPrincipals: '*' }))],
      ['statements[0].notPrincipals', /omit it/, doc(statement({ notPrincipals: { roles: [] } }))],
      ['statements[0].resources', /must be a list/, doc(statement({ resources: 'secret:*' }))],
      ['statements[0].conditions', /got a list/, doc(statement({ conditions: [] }))],
      ['statements[0].conditions.StringEquals', /got a string/, doc(statement({ conditions: { StringEquals: 'x' } }))],
      [
        'statements[0].conditions.StringEquals',
        /at least one condition key/,
        doc(statement({ conditions: { StringEquals: {} } })),
      ],
      [
        'statements[0].conditions.StringEquals',
        /"resource.name": StringEquals takes a string or a non-empty list of strings, got a boolean/,
        doc(statement({ conditions: { StringEquals: { 'resource.name': true } } })),
      ],
      [
        'statements[0].conditions.StringLike',
        /got an empty list/,
        doc(statement({ conditions: { StringLike: { 'resource.name': [] } } })),
      ],
      [
        'statements[0].conditions.StringLike',
        /non-empty list of strings/,
        doc(statement({ conditions: { StringLike: { 'resource.name': ['a', 1] } } })),
      ],
      [
        'statements[0].conditions.Null',
        /Null takes true/,
        doc(statement({ conditions: { Null: { 'resource.name': 'yes' } } })),
      ],
      [
        'statements[0].conditions.Null',
        /Null takes true/,
        doc(statement({ conditions: { Null: { 'resource.name': ['true'] } } })),
      ],
      ['statements[0].sid', /must not be empty/, doc(statement({ sid: '' }))],
      ['statements[0].sid', /letters, digits/, doc(statement({ sid: 'has space' }))],
      ['statements[0].sid', /at most 128/, doc(statement({ sid: 'x'.repeat(129) }))],
      ['statements[0].sid', /must be a string/, doc(statement({ sid: 7 }))],
      [
        'statements[1].sid',
        /duplicate sid "same".*statements\[0\]/,
        doc(statement({ sid: 'same' }), statement({ sid: 'same' })),
      ],
    ])('wrong types or values: %s %s', (path, message, input) => {
      expectError(input, path, message);
    });

    it.each([null, 'policy', 42, [], undefined])('a document that is not an object: %j', (input) => {
      expectError(input, '', /must be an object/);
    });
  });

  it('reports every problem at once', () => {
    const errors = errorsOf({
      name: '',
      statements: [
        statement({ actions: [] }),
        statement({ sid: 'b', resources: ['bucket:x'], conditions: { Foo: { 'resource.name': 'x' } } }),
      ],
    });
    expect(errors.map((e) => e.path)).toEqual([
      'name',
      'statements[0].actions',
      'statements[1].resources[0]',
      'statements[1].conditions',
    ]);
  });

  it('gives every error a path and a message', () => {
    for (const e of errorsOf({ name: 1, statements: [{ effect: 'maybe', actions: ['x'], principals: 5 }] })) {
      expect(e.path).not.toBe('');
      expect(e.message.length).toBeGreaterThan(5);
    }
  });
});
