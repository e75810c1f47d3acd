// Generated from apps/api/openapi.json by `npm run gen:api -w @nembl/web`. Do not edit.
// A test (apps/web/test/schema-fresh.test.ts) fails when this file is stale.
export interface paths {
    "/audit": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Audit events, newest first
         * @description Metadata reads are audited too; `count` > 1 when repeats within a short window were collapsed.
         */
        get: operations["listAuditEvents"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/audit/export": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Download every matching audit event, oldest first
         * @description The filters of `GET /audit`, no pagination: a streamed attachment (`Content-Disposition: attachment`) of every matching event up to the chain head at the start, with the hash-chain fields. CSV has a header row and one row per event (nested fields as `actor.type` …); a cell starting with `= + - @`, tab or CR is prefixed with `'` so spreadsheets do not run it. The export is itself audited (`audit:export`).
         */
        get: operations["exportAuditEvents"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/audit/verify": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Walk the company's audit hash chain */
        get: operations["verifyAuditChain"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/auth/csrf": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The CSRF token bound to the session
         * @description Send it as `X-CSRF-Token` on every cookie-authenticated request other than GET/HEAD. Bearer tokens need none (→ 401).
         */
        get: operations["getCsrfToken"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/auth/login": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Sign in and start a session
         * @description Wrong credentials → 401, with the same answer for an unknown email. Rate limited per IP and email.
         */
        post: operations["login"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/auth/logout": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * End the session
         * @description With a live session the request needs `X-CSRF-Token`; without one it just clears the cookie.
         */
        post: operations["logout"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/auth/signup": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Sign up: create a company and its first Admin, and start a session
         * @description Disabled with NEMBL_ALLOW_SIGNUP=false (→ 403). Email is unique across the service.
         */
        post: operations["signup"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/connectors": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List connectors the caller may read, by name */
        get: operations["listConnectors"];
        put?: never;
        /**
         * Create a connector
         * @description Needs `connectors:create` and `secrets:use` on `authSecret`. Duplicate name → 409; unknown secret → 422; blocked target → 400.
         */
        post: operations["createConnector"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/connectors/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get a connector */
        get: operations["getConnector"];
        put?: never;
        post?: never;
        /** Delete a connector */
        delete: operations["deleteConnector"];
        options?: never;
        head?: never;
        /**
         * Change a connector
         * @description `secrets:use` is checked again whenever `authSecret`, `kind` or `baseUrl` changes.
         */
        patch: operations["updateConnector"];
        trace?: never;
    };
    "/connectors/{id}/credentials": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * The credential value, for the connector runtime
         * @description Service tokens only: a cookie session gets 403, Admin included. Needs `connectors:read` and `secrets:read_value`; audited fail-closed (audit log down → 503). A deleted or missing secret → 422.
         */
        post: operations["getConnectorCredentials"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/connectors/{id}/test": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Call the external API once with the secret injected
         * @description Needs `connectors:read` and `secrets:use` on the secret. `ok` is false with the upstream status when it refuses. The value is never echoed. A deleted or missing secret → 422 naming it; a blocked target → 400.
         */
        post: operations["testConnector"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/env/resolve": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Resolve ad-hoc references to their current values
         * @description Service tokens only: a cookie session gets 403, Admin included. `env` maps 1–100 variable names (as for workflow env) to `secret:<name>` or a literal. Needs `secrets:read_value` on each referenced secret (a denial names it); audited fail-closed. A deleted or missing secret, or one the caller may not `secrets:read` → 422 naming it (`errors[].path` = `env.NAME`). `Cache-Control: no-store`.
         */
        post: operations["resolveEnv"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/me": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The caller: user or service token, company, roles and groups */
        get: operations["getMe"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/me/password": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /**
         * Change the caller's password
         * @description Ends the user's other sessions. Service tokens have no password (→ 403). Attempts share the login rate limit (`NEMBL_RATE_LIMIT_LOGIN_PER_MIN`, per user, across sessions) → 429 with `Retry-After`.
         */
        put: operations["changePassword"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/me/permissions": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * What the caller may do, decided by the engine enforcement uses
         * @description 1–200 checks `{ action, secret?, tags? }`, answered in order. `secrets:create` is asked about the name and tags given; other `secrets:*` actions about the named secret as it is (with `tags`: as it is and as it would be, like PATCH), or a hypothetical one with `tags`. A secret the caller may not `secrets:read` answers `allowed: false, reason: implicit_deny`, exactly like a missing one. Not audited.
         */
        post: operations["checkMyPermissions"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/operations": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Secret write operations, newest first
         * @description Only operations on secrets the caller may `secrets:read` (deleted secrets included, judged by their last attributes).
         */
        get: operations["listOperations"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/operations/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * A secret write operation (not wrapped)
         * @description Visible to whoever may `secrets:read` the operation's secret (else 404).
         */
        get: operations["getOperation"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/policies": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List policies */
        get: operations["listPolicies"];
        put?: never;
        /** Create a policy */
        post: operations["createPolicy"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/policies/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get a policy */
        get: operations["getPolicy"];
        /** Replace a policy document */
        put: operations["replacePolicy"];
        post?: never;
        /** Delete a policy */
        delete: operations["deletePolicy"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/policies/simulate": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Decide a hypothetical request exactly as enforcement would
         * @description Principal as `{ userId }`, `{ tokenId }` or `{ roles, groups }`; resource as `{ secret: name }` (its real attributes) or `{ kind?, name?, tags? }`. An unknown user, token or secret → 422.
         */
        post: operations["simulatePolicy"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/runs/{runId}/phases/{phase}/env": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Resolve a phase's environment, secret values included
         * @description Service tokens only: a cookie session gets 403, Admin included. Needs `secrets:read_value` on each referenced secret; audited fail-closed. Within one run the same versions are returned every time; a new run gets the current ones. Expired run → 410; unknown phase → 404; a deleted or missing secret → 422 naming it. `Cache-Control: no-store`.
         */
        post: operations["resolveRunPhaseEnv"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/secrets": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List secrets the caller may read, by name */
        get: operations["listSecrets"];
        put?: never;
        /**
         * Create a secret
         * @description Writes the value to the secret store asynchronously. Duplicate name → 409 (a name stays taken until its delete completes; a create over a `failed` name replaces it). Owners default to the creating user.
         */
        post: operations["createSecret"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/secrets/{name}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get secret metadata and its versions (never the value) */
        get: operations["getSecret"];
        put?: never;
        post?: never;
        /**
         * Delete a secret permanently (after review)
         * @description Send `confirm` equal to the name, in the body or as `?confirm=`. Without it → 409 listing `boundResources` (the review step). Permanent: no recovery; the name is free again afterwards; bound workflows and connectors then fail naming the secret.
         */
        delete: operations["deleteSecret"];
        options?: never;
        head?: never;
        /**
         * Change description, tags, type or owners
         * @description Synchronous (metadata only); `tags` replaces the whole set. `secrets:update` is checked against the current and the resulting tags. A `pending` or `deleting` secret → 409.
         */
        patch: operations["updateSecret"];
        trace?: never;
    };
    "/secrets/{name}/bindings": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Connectors and workflow phases that use the secret */
        get: operations["listSecretBindings"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/secrets/{name}/reminder": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /**
         * Set the rotation reminder (30, 60, 90 or a custom 1–3650 days)
         * @description Reminders go to the owners (to the company admins when there are none). A `deleting` secret → 409.
         */
        put: operations["setSecretReminder"];
        post?: never;
        /** Remove the rotation reminder */
        delete: operations["deleteSecretReminder"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/secrets/{name}/value": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /**
         * Store a new value (new version)
         * @description Value updates to an `active` secret queue and apply in order; `lastRotatedAt` and the reminder due date move on success. A secret that is not `active` → 409.
         */
        put: operations["putSecretValue"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/tokens": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List service tokens (never the token strings) */
        get: operations["listTokens"];
        put?: never;
        /**
         * Create a service token
         * @description The token is in this response only (`Cache-Control: no-store`) and stored hashed. Grants follow the same rules as for users. A token created by a token with an expiry gets that expiry when none is given; a later one → 400 naming `expiresAt`.
         */
        post: operations["createToken"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/tokens/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get a service token (without the token string) */
        get: operations["getToken"];
        put?: never;
        post?: never;
        /**
         * Revoke a service token
         * @description Revokes the tokens it created too, transitively. Unless the caller is an Admin, it must hold every role and group the token holds (else 403).
         */
        delete: operations["revokeToken"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/users": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List users */
        get: operations["listUsers"];
        put?: never;
        /**
         * Create a user
         * @description A caller can grant only roles and groups it holds; only an Admin grants `Admin` (else 403).
         */
        post: operations["createUser"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/users/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get a user */
        get: operations["getUser"];
        put?: never;
        post?: never;
        /**
         * Remove a user
         * @description Ends that user's sessions and revokes the tokens the user created (and the tokens those created). Unless the caller is an Admin, it must hold every role and group the user holds (else 403). The last Admin cannot be removed (409).
         */
        delete: operations["deleteUser"];
        options?: never;
        head?: never;
        /**
         * Change name, roles or groups, or reset the password
         * @description Demoting or resetting ends that user's sessions. The last Admin cannot be demoted (409). Unless the caller is an Admin, it must hold every role and group the user holds (else 403, naming what it lacks), whatever the field.
         */
        patch: operations["updateUser"];
        trace?: never;
    };
    "/workflows": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List workflows the caller may read, by name */
        get: operations["listWorkflows"];
        put?: never;
        /**
         * Create a workflow
         * @description Name unique per company (409), phase names unique per workflow (400). A `secret:` reference to a missing secret → 422 naming it.
         */
        post: operations["createWorkflow"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/workflows/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get a workflow */
        get: operations["getWorkflow"];
        /** Replace a workflow */
        put: operations["replaceWorkflow"];
        post?: never;
        /** Delete a workflow */
        delete: operations["deleteWorkflow"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/workflows/{id}/runs": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Start a run (pins the current secret versions)
         * @description A run expires after NEMBL_RUN_TTL_HOURS.
         */
        post: operations["startWorkflowRun"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        /** @description An audit event (never a value). */
        AuditEvent: {
            action: string;
            actor: {
                id: string | null;
                label: string;
                /** @enum {string} */
                type: "user" | "token" | "system";
            };
            /** Format: date-time */
            at: string;
            /** @description More than 1 when repeats within a short window were collapsed. */
            count: number;
            /** @enum {string} */
            decision: "allow" | "deny";
            /** @description SHA-256 (hex) of `prevHash` and the event: a link of the company's hash chain. */
            hash: string;
            /** Format: uuid */
            id: string;
            ip: string | null;
            /**
             * Format: uuid
             * @description Only when the event belongs to a secret write.
             */
            operationId?: string;
            /** @description The previous event's `hash` (64 zeros for the first event). */
            prevHash: string;
            reason: string;
            requestId: string;
            resource: {
                kind: string;
                name: string | null;
            };
            userAgent: string | null;
        };
        /** @description A page of results (`?limit=` 1–200, default 50; opaque `?cursor=`). */
        AuditEventPage: {
            items: components["schemas"]["AuditEvent"][];
            /** @description Pass as `?cursor=` for the next page; null on the last page. */
            nextCursor: string | null;
        };
        AuditVerification: {
            checked: number;
            firstBadEventId: string | null;
            ok: boolean;
        };
        /** @description A connector or workflow phase that uses the secret. */
        BoundResource: {
            detail: string;
            /** Format: uuid */
            id: string;
            /** @enum {string} */
            kind: "connector" | "workflow_phase";
            name: string;
        } | {
            /** @constant */
            hidden: true;
            /** @enum {string} */
            kind: "connector" | "workflow_phase";
        };
        ChangePasswordRequest: {
            currentPassword: string & (unknown & unknown);
            newPassword: string & (unknown & unknown);
        };
        Company: {
            /** Format: date-time */
            createdAt: string;
            /** Format: uuid */
            id: string;
            name: string;
        };
        Connector: {
            /** @description Name of the secret injected as the credential; hidden when the caller may not read it. */
            authSecret: string | {
                /** @constant */
                hidden: true;
                /** @enum {string} */
                kind: "secret";
            };
            config: {
                baseUrl?: string;
                /** @description jira: Basic auth as `email:<value>` (else Bearer). */
                email?: string;
                /** @description http: credential header (default `Authorization`). */
                header?: string;
                /** @description http: credential scheme (default `Bearer`). */
                scheme?: string;
                /** @description http: path of the test call (default `/`). */
                testPath?: string;
            };
            /** Format: date-time */
            createdAt: string;
            /** Format: uuid */
            id: string;
            /** @enum {string} */
            kind: "github" | "slack" | "jira" | "http";
            name: string;
            /** Format: date-time */
            updatedAt: string;
        };
        /** @description One of the responses that carry a secret value; service tokens only. */
        ConnectorCredentials: {
            /** @description The secret value (machines only). */
            value: string;
            version: number;
        };
        /** @description A page of results (`?limit=` 1–200, default 50; opaque `?cursor=`). */
        ConnectorPage: {
            items: components["schemas"]["Connector"][];
            /** @description Pass as `?cursor=` for the next page; null on the last page. */
            nextCursor: string | null;
        };
        /** @description The value is never echoed. */
        ConnectorTestResult: {
            /** @description Why the target could not be reached. */
            error?: string;
            latencyMs: number;
            ok: boolean;
            /** @description Upstream HTTP status (0 when unreachable). */
            status: number;
        };
        CreateConnectorRequest: {
            authSecret: string;
            /** @default {} */
            config: {
                /**
                 * Format: uri
                 * @description http(s) URL without credentials. Default for github `https://api.github.com`, for slack `https://slack.com/api`; required for jira and http. A host resolving into NEMBL_CONNECTOR_BLOCKED_CIDRS → 400 (loopback and private ranges are allowed).
                 */
                baseUrl?: string & (unknown & unknown);
            };
            /** @constant */
            kind: "github";
            name: string & (unknown & unknown);
        } | {
            authSecret: string;
            /** @default {} */
            config: {
                /**
                 * Format: uri
                 * @description http(s) URL without credentials. Default for github `https://api.github.com`, for slack `https://slack.com/api`; required for jira and http. A host resolving into NEMBL_CONNECTOR_BLOCKED_CIDRS → 400 (loopback and private ranges are allowed).
                 */
                baseUrl?: string & (unknown & unknown);
            };
            /** @constant */
            kind: "slack";
            name: string & (unknown & unknown);
        } | {
            authSecret: string;
            config: {
                /**
                 * Format: uri
                 * @description http(s) URL without credentials. Default for github `https://api.github.com`, for slack `https://slack.com/api`; required for jira and http. A host resolving into NEMBL_CONNECTOR_BLOCKED_CIDRS → 400 (loopback and private ranges are allowed).
                 */
                baseUrl: string & (unknown & unknown);
                /** Format: email */
                email?: string;
            };
            /** @constant */
            kind: "jira";
            name: string & (unknown & unknown);
        } | {
            authSecret: string;
            config: {
                /**
                 * Format: uri
                 * @description http(s) URL without credentials. Default for github `https://api.github.com`, for slack `https://slack.com/api`; required for jira and http. A host resolving into NEMBL_CONNECTOR_BLOCKED_CIDRS → 400 (loopback and private ranges are allowed).
                 */
                baseUrl: string & (unknown & unknown);
                header?: string;
                scheme?: string;
                testPath?: string & (unknown & unknown & unknown);
            };
            /** @constant */
            kind: "http";
            name: string & (unknown & unknown);
        };
        CreatedToken: {
            /** Format: date-time */
            createdAt: string;
            /** @description Id of the user that created it (null when a token did). Removing that user revokes the token. */
            createdBy: string | null;
            /** @description Id of the token that created it (null when a user did). Revoking that token revokes this one; it never expires after it. */
            createdByToken: string | null;
            expiresAt: string | null;
            groups: string[];
            /** Format: uuid */
            id: string;
            lastUsedAt: string | null;
            name: string;
            roles: string[];
            /** @description The bearer token (`nmbl_…`), shown once. */
            token: string;
        };
        CreateSecretRequest: {
            /** @default  */
            description: string & (unknown & unknown);
            name: string;
            /** @description User ids of this company (unknown ids → 400 naming `owners[i]`); duplicates are ignored. */
            owners?: string[];
            reminder?: {
                intervalDays: number;
            } | null;
            /**
             * @description At most 50 user tags. Keys are 1–128 chars of lowercase letters, digits and `_ . / -` (no `:`), and may not start with `aws`; values are 0–256 chars.
             * @default {}
             */
            tags: {
                [key: string]: string & (unknown & unknown);
            };
            /**
             * @default custom
             * @enum {string}
             */
            type: "api_key" | "oauth_token" | "password" | "certificate" | "custom";
            /** @description The secret value: 1 to 65,536 bytes of UTF-8 (longer → 400 naming `value`). Write-only: no metadata endpoint ever returns it, and error messages never quote it. */
            value: string & (unknown & unknown);
        };
        CreateTokenRequest: {
            /** Format: date-time */
            expiresAt?: string;
            /**
             * @description Role or group names; duplicates are ignored.
             * @default []
             */
            groups: (string & (unknown & unknown & unknown))[];
            name: string & (unknown & unknown);
            /**
             * @description Role or group names; duplicates are ignored.
             * @default []
             */
            roles: (string & (unknown & unknown & unknown))[];
        };
        CreateUserRequest: {
            /**
             * Format: email
             * @description Trimmed and lower-cased before use.
             */
            email: string & (unknown & unknown);
            /**
             * @description Role or group names; duplicates are ignored.
             * @default []
             */
            groups: (string & (unknown & unknown & unknown))[];
            name: string & (unknown & unknown);
            password: string & (unknown & unknown);
            /**
             * @description Role or group names; duplicates are ignored.
             * @default []
             */
            roles: (string & (unknown & unknown & unknown))[];
        };
        /** @description The decision and the statements that decided it. */
        Decision: {
            /** @enum {string} */
            decision: "allow" | "deny";
            matched: {
                policyId: string;
                policyName: string;
                sid: string;
            }[];
            /** @enum {string} */
            reason: "explicit_allow" | "explicit_deny" | "implicit_deny";
        };
        /** @description The review step of a delete: what would break. */
        DeleteNotConfirmedProblem: {
            /** @description On the review step: every resource the delete would break. */
            boundResources?: components["schemas"]["BoundResource"][];
            /** @description Human-readable; for 403 it names the denied action. Never a stack trace or a value. */
            detail: string;
            errors?: components["schemas"]["FieldError"][];
            /** @description Same as the `X-Request-Id` response header. */
            requestId: string;
            status: number;
            title: string;
            /**
             * Format: uri-reference
             * @description Stable per kind: `/problems/validation`, `/problems/unauthorized`, `/problems/forbidden`, `/problems/not-found`, `/problems/conflict`, `/problems/payload-too-large`, `/problems/unsupported-media-type`, `/problems/unprocessable`, `/problems/rate-limited`, `/problems/unavailable`, `/problems/internal`.
             */
            type: string;
        } & {
            [key: string]: unknown;
        };
        DeleteSecretRequest: {
            confirm?: string & (unknown & unknown);
        };
        EnvResolveRequest: {
            env: {
                [key: string]: string;
            };
        };
        FieldError: {
            message: string;
            /** @description Dots and brackets: `tags.environment`, `statements[2].conditions`. */
            path: string;
        };
        LoginRequest: {
            email: string & (unknown & unknown);
            password: string & (unknown & unknown);
        };
        Me: {
            company: components["schemas"]["Company"];
            groups: string[];
            roles: string[];
            user: components["schemas"]["User"];
        } | {
            company: components["schemas"]["Company"];
            groups: string[];
            roles: string[];
            token: {
                /** Format: uuid */
                id: string;
                name: string;
            };
            user: null;
        };
        /** @description An asynchronous write to the secret store. */
        Operation: {
            /** Format: date-time */
            createdAt: string;
            /** @description Present when the operation failed; never contains a value. */
            error?: {
                code: string;
                message: string;
            };
            finishedAt: string | null;
            /** Format: uuid */
            id: string;
            /** @enum {string} */
            kind: "create" | "update_value" | "delete";
            secretName: string;
            /** @enum {string} */
            status: "queued" | "running" | "succeeded" | "failed";
        };
        /** @description A page of results (`?limit=` 1–200, default 50; opaque `?cursor=`). */
        OperationPage: {
            items: components["schemas"]["Operation"][];
            /** @description Pass as `?cursor=` for the next page; null on the last page. */
            nextCursor: string | null;
        };
        /** @description At least one field (an empty body → 400 "nothing to change"). */
        PatchConnectorRequest: {
            authSecret?: string;
            config?: {
                [key: string]: unknown;
            };
            /** @enum {string} */
            kind?: "github" | "slack" | "jira" | "http";
            name?: string & (unknown & unknown);
        };
        /** @description At least one field (an empty body → 400 "nothing to change"). */
        PatchSecretRequest: {
            description?: string & (unknown & unknown);
            /** @description User ids of this company (unknown ids → 400 naming `owners[i]`); duplicates are ignored. */
            owners?: string[];
            /** @description At most 50 user tags. Keys are 1–128 chars of lowercase letters, digits and `_ . / -` (no `:`), and may not start with `aws`; values are 0–256 chars. */
            tags?: {
                [key: string]: string & (unknown & unknown);
            };
            /** @enum {string} */
            type?: "api_key" | "oauth_token" | "password" | "certificate" | "custom";
        };
        PermissionResults: {
            /** @description One result per check, in the order of the checks. */
            results: {
                action: string;
                allowed: boolean;
                /** @enum {string} */
                reason: "explicit_allow" | "explicit_deny" | "implicit_deny";
                /** @description Echoes the check's `secret`, when it named one. */
                secret?: string;
            }[];
        };
        PermissionsRequest: {
            checks: {
                /** @enum {string} */
                action: "secrets:create" | "secrets:read" | "secrets:use" | "secrets:read_value" | "secrets:update" | "secrets:delete" | "connectors:create" | "connectors:read" | "connectors:update" | "connectors:delete" | "workflows:create" | "workflows:read" | "workflows:update" | "workflows:delete" | "workflows:run" | "policies:read" | "policies:write" | "users:read" | "users:write" | "tokens:read" | "tokens:write" | "audit:read";
                secret?: string;
                /** @description At most 50 user tags. Keys are 1–128 chars of lowercase letters, digits and `_ . / -` (no `:`), and may not start with `aws`; values are 0–256 chars. */
                tags?: {
                    [key: string]: string & (unknown & unknown);
                };
            }[];
        };
        Policy: {
            /** Format: date-time */
            createdAt: string;
            description: string;
            /** Format: uuid */
            id: string;
            name: string;
            statements: components["schemas"]["PolicyStatement"][];
            /** Format: date-time */
            updatedAt: string;
        };
        /** @description A policy document (`policy.md`). Invalid → 400 with `errors[]` naming the statement and field. */
        PolicyDocument: {
            description?: string;
            name: string;
            statements: components["schemas"]["PolicyDocumentStatement"][];
        };
        /** @description Matches if any listed item matches; must name at least one. */
        PolicyDocumentPrincipals: {
            groups?: string[];
            roles?: string[];
            tokens?: string[];
            users?: string[];
        };
        PolicyDocumentStatement: {
            /** @description Action names (secrets:create, secrets:read, secrets:use, secrets:read_value, secrets:update, secrets:delete, connectors:create, connectors:read, connectors:update, connectors:delete, workflows:create, workflows:read, workflows:update, workflows:delete, workflows:run, policies:read, policies:write, users:read, users:write, tokens:read, tokens:write, audit:read); `*` and `?` globs allowed. */
            actions: string[];
            /** @description `{ Operator: { key: value | [values] } }`. Keys: `resource.kind`, `resource.name`, `resource.secretType`, `resource.tag/<key>`, `principal.id`, `principal.type`, `principal.roles`, `principal.groups`, `request.tag/<key>`. */
            conditions?: {
                [key: string]: {
                    [key: string]: string | boolean | string[];
                };
            };
            /** @enum {string} */
            effect: "allow" | "deny";
            notPrincipals?: components["schemas"]["PolicyDocumentPrincipals"];
            principals: "*" | components["schemas"]["PolicyDocumentPrincipals"];
            /** @description Default `["*"]`; `secret:<name glob>`, `connector:<name glob>`, `workflow:<name glob>` or `*`. */
            resources?: string[];
            /** @description Unique within the document. */
            sid?: string;
        };
        /** @description A page of results (`?limit=` 1–200, default 50; opaque `?cursor=`). */
        PolicyPage: {
            items: components["schemas"]["Policy"][];
            /** @description Pass as `?cursor=` for the next page; null on the last page. */
            nextCursor: string | null;
        };
        PolicyStatement: {
            actions: string[];
            conditions?: {
                [key: string]: {
                    [key: string]: string | boolean | string[];
                };
            };
            /** @enum {string} */
            effect: "allow" | "deny";
            notPrincipals?: components["schemas"]["PrincipalSet"];
            principals: "*" | components["schemas"]["PrincipalSet"];
            resources?: string[];
            /** @description Unique within the document. */
            sid?: string;
        };
        /** @description Matches if any listed item matches. */
        PrincipalSet: {
            groups?: string[];
            roles?: string[];
            tokens?: string[];
            users?: string[];
        };
        /** @description RFC 9457 problem details (`application/problem+json`). */
        Problem: {
            /** @description Human-readable; for 403 it names the denied action. Never a stack trace or a value. */
            detail: string;
            errors?: components["schemas"]["FieldError"][];
            /** @description Same as the `X-Request-Id` response header. */
            requestId: string;
            status: number;
            title: string;
            /**
             * Format: uri-reference
             * @description Stable per kind: `/problems/validation`, `/problems/unauthorized`, `/problems/forbidden`, `/problems/not-found`, `/problems/conflict`, `/problems/payload-too-large`, `/problems/unsupported-media-type`, `/problems/unprocessable`, `/problems/rate-limited`, `/problems/unavailable`, `/problems/internal`.
             */
            type: string;
        } & {
            [key: string]: unknown;
        };
        PutSecretValueRequest: {
            /** @description The secret value: 1 to 65,536 bytes of UTF-8 (longer → 400 naming `value`). Write-only: no metadata endpoint ever returns it, and error messages never quote it. */
            value: string & (unknown & unknown);
        };
        ReminderRequest: {
            intervalDays: number;
        };
        Run: {
            /** Format: date-time */
            createdAt: string;
            /**
             * Format: date-time
             * @description After NEMBL_RUN_TTL_HOURS; resolving env later → 410.
             */
            expiresAt: string;
            /** Format: uuid */
            id: string;
            status: string;
            /** Format: uuid */
            workflowId: string;
        };
        /** @description One of the responses that carry secret values; service tokens only. */
        RunEnv: {
            /** @description Variable name → value (secret values included). */
            env: {
                [key: string]: string;
            };
            /** @description Variable name → the secret version injected; the same for every call within one run. */
            versions: {
                [key: string]: {
                    secret: string;
                    version: number;
                };
            };
        };
        /** @description Secret metadata. There is no value field, in any response: values are for machines only. */
        Secret: {
            boundResources: components["schemas"]["BoundResource"][];
            /** Format: date-time */
            createdAt: string;
            createdBy: {
                id: string | null;
                name: string;
            };
            description: string;
            /** Format: uuid */
            id: string;
            lastRotatedAt: string | null;
            name: string;
            owners: {
                email: string;
                /** Format: uuid */
                id: string;
            }[];
            /** @description Location in the secret store: `nembl/{companyId}/{name}`. */
            path: string;
            reminder: {
                intervalDays: number;
                lastError: string | null;
                lastSentAt: string | null;
                nextDueAt: string | null;
            } | null;
            /**
             * @description `pending` (create in flight) · `active` · `deleting` · `failed` (create failed).
             * @enum {string}
             */
            status: "pending" | "active" | "deleting" | "failed";
            tags: {
                [key: string]: string;
            };
            /** @enum {string} */
            type: "api_key" | "oauth_token" | "password" | "certificate" | "custom";
            version: number;
        };
        SecretDelete: {
            operation: components["schemas"]["Operation"];
        };
        SecretDetail: {
            secret: components["schemas"]["Secret"];
            versions: components["schemas"]["SecretVersion"][];
        };
        /** @description A page of results (`?limit=` 1–200, default 50; opaque `?cursor=`). */
        SecretPage: {
            items: components["schemas"]["Secret"][];
            /** @description Pass as `?cursor=` for the next page; null on the last page. */
            nextCursor: string | null;
        };
        SecretVersion: {
            /** Format: date-time */
            createdAt: string;
            createdBy: {
                id: string | null;
                name: string;
            };
            version: number;
        };
        SecretWrite: {
            operation: components["schemas"]["Operation"];
            secret: components["schemas"]["Secret"];
        };
        Session: {
            company: components["schemas"]["Company"];
            user: components["schemas"]["User"];
        };
        SignupRequest: {
            companyName: string & (unknown & unknown);
            /**
             * Format: email
             * @description Trimmed and lower-cased before use.
             */
            email: string & (unknown & unknown);
            name?: string & (unknown & unknown);
            password: string & (unknown & unknown);
        };
        SimulateRequest: {
            /** @enum {string} */
            action: "secrets:create" | "secrets:read" | "secrets:use" | "secrets:read_value" | "secrets:update" | "secrets:delete" | "connectors:create" | "connectors:read" | "connectors:update" | "connectors:delete" | "workflows:create" | "workflows:read" | "workflows:update" | "workflows:delete" | "workflows:run" | "policies:read" | "policies:write" | "users:read" | "users:write" | "tokens:read" | "tokens:write" | "audit:read";
            principal: {
                /** Format: uuid */
                userId: string;
            } | {
                /** Format: uuid */
                tokenId: string;
            } | {
                /** @default [] */
                groups: (string & (unknown & unknown))[];
                /** @default [] */
                roles: (string & (unknown & unknown))[];
            };
            resource: {
                secret: string & (unknown & unknown);
            } | {
                /** @enum {string} */
                kind?: "secret" | "connector" | "workflow" | "policy" | "user" | "token" | "audit";
                name?: string & (unknown & unknown);
                tags?: {
                    [key: string]: string & (unknown & unknown);
                };
            };
        };
        /** @description A service token. The token string itself is never shown again after creation (stored hashed). */
        Token: {
            /** Format: date-time */
            createdAt: string;
            /** @description Id of the user that created it (null when a token did). Removing that user revokes the token. */
            createdBy: string | null;
            /** @description Id of the token that created it (null when a user did). Revoking that token revokes this one; it never expires after it. */
            createdByToken: string | null;
            expiresAt: string | null;
            groups: string[];
            /** Format: uuid */
            id: string;
            lastUsedAt: string | null;
            name: string;
            roles: string[];
        };
        /** @description A page of results (`?limit=` 1–200, default 50; opaque `?cursor=`). */
        TokenPage: {
            items: components["schemas"]["Token"][];
            /** @description Pass as `?cursor=` for the next page; null on the last page. */
            nextCursor: string | null;
        };
        /** @description At least one field (an empty body → 400 "nothing to change"). */
        UpdateUserRequest: {
            /** @description Role or group names; duplicates are ignored. */
            groups?: (string & (unknown & unknown & unknown))[];
            name?: string & (unknown & unknown);
            password?: string & (unknown & unknown);
            /** @description Role or group names; duplicates are ignored. */
            roles?: (string & (unknown & unknown & unknown))[];
        };
        User: {
            /** Format: date-time */
            createdAt: string;
            /** Format: email */
            email: string;
            groups: string[];
            /** Format: uuid */
            id: string;
            name: string;
            roles: string[];
        };
        /** @description A page of results (`?limit=` 1–200, default 50; opaque `?cursor=`). */
        UserPage: {
            items: components["schemas"]["User"][];
            /** @description Pass as `?cursor=` for the next page; null on the last page. */
            nextCursor: string | null;
        };
        Workflow: {
            /** Format: date-time */
            createdAt: string;
            /** Format: uuid */
            id: string;
            name: string;
            phases: {
                /** @description A literal, `secret:<name>`, or a hidden reference to a secret the caller may not read. */
                env: {
                    [key: string]: string | {
                        /** @constant */
                        hidden: true;
                        /** @enum {string} */
                        kind: "secret";
                    };
                };
                name: string;
            }[];
            /** Format: date-time */
            updatedAt: string;
        };
        /** @description A page of results (`?limit=` 1–200, default 50; opaque `?cursor=`). */
        WorkflowPage: {
            items: components["schemas"]["Workflow"][];
            /** @description Pass as `?cursor=` for the next page; null on the last page. */
            nextCursor: string | null;
        };
        WorkflowRequest: {
            name: string & (unknown & unknown);
            phases: {
                /**
                 * @description Variable name → a literal, or `secret:<name>` to inject that secret at run time (each referenced secret needs `secrets:use`; a missing one → 422 naming it). At most 200 variables.
                 * @default {}
                 */
                env: {
                    [key: string]: string & (unknown & unknown);
                };
                name: string & (unknown & unknown);
            }[];
        };
    };
    responses: {
        /** @description Invalid input; `errors[]` names each bad field (`path` with dots and brackets). */
        BadRequest: {
            headers: {
                "X-Request-Id": components["headers"]["XRequestId"];
                [name: string]: unknown;
            };
            content: {
                "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /** @description Conflict: duplicate name, operation in progress, or a rule such as "the last Admin". */
        Conflict: {
            headers: {
                "X-Request-Id": components["headers"]["XRequestId"];
                [name: string]: unknown;
            };
            content: {
                "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /** @description Conflict: without a `confirm` equal to the name this is the review step, listing `boundResources`; also when an operation is in progress. */
        DeleteNotConfirmed: {
            headers: {
                "X-Request-Id": components["headers"]["XRequestId"];
                [name: string]: unknown;
            };
            content: {
                "application/problem+json": components["schemas"]["DeleteNotConfirmedProblem"];
            };
        };
        /** @description Denied by policy (`detail` names the action), or a cookie-authenticated write without a valid `X-CSRF-Token`. */
        Forbidden: {
            headers: {
                "X-Request-Id": components["headers"]["XRequestId"];
                [name: string]: unknown;
            };
            content: {
                "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /** @description The run has expired. */
        Gone: {
            headers: {
                "X-Request-Id": components["headers"]["XRequestId"];
                [name: string]: unknown;
            };
            content: {
                "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /** @description Unexpected error (no stack trace; the request id finds it in the logs). */
        InternalError: {
            headers: {
                "X-Request-Id": components["headers"]["XRequestId"];
                [name: string]: unknown;
            };
            content: {
                "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /** @description Not found — including another company's resource, and secrets the caller may not `secrets:read`. */
        NotFound: {
            headers: {
                "X-Request-Id": components["headers"]["XRequestId"];
                [name: string]: unknown;
            };
            content: {
                "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /** @description Request body over 1048576 bytes (1 MiB). */
        PayloadTooLarge: {
            headers: {
                "X-Request-Id": components["headers"]["XRequestId"];
                [name: string]: unknown;
            };
            content: {
                "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /** @description Rate limited. */
        TooManyRequests: {
            headers: {
                "Retry-After": components["headers"]["RetryAfter"];
                "X-Request-Id": components["headers"]["XRequestId"];
                [name: string]: unknown;
            };
            content: {
                "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /** @description No or bad credentials (missing, expired or revoked session or token). */
        Unauthorized: {
            headers: {
                "X-Request-Id": components["headers"]["XRequestId"];
                [name: string]: unknown;
            };
            content: {
                "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /** @description A dependency (Postgres, Redis, the secret store) is down. */
        Unavailable: {
            headers: {
                "Retry-After": components["headers"]["RetryAfter"];
                "X-Request-Id": components["headers"]["XRequestId"];
                [name: string]: unknown;
            };
            content: {
                "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /** @description Semantically invalid, e.g. a reference to a missing secret, user or token (`errors[]` names it). */
        Unprocessable: {
            headers: {
                "X-Request-Id": components["headers"]["XRequestId"];
                [name: string]: unknown;
            };
            content: {
                "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /** @description A `Content-Encoding` other than identity, gzip, deflate or br, or a charset other than UTF-8 (`errors[]` names `Content-Encoding`). */
        UnsupportedMediaType: {
            headers: {
                "X-Request-Id": components["headers"]["XRequestId"];
                [name: string]: unknown;
            };
            content: {
                "application/problem+json": components["schemas"]["Problem"];
            };
        };
    };
    parameters: {
        /** @description Connector id. */
        ConnectorId: string;
        /** @description Opaque cursor from `nextCursor`; invalid → 400. */
        Cursor: string;
        /** @description Page size, 1–200 (default 50); outside → 400. */
        Limit: number;
        /** @description Operation id. */
        OperationId: string;
        /** @description Policy id. */
        PolicyId: string;
        /** @description Run id. */
        RunId: string;
        /** @description Secrets are addressed by name within the company. */
        SecretName: string;
        /** @description Token id. */
        TokenId: string;
        /** @description User id. */
        UserId: string;
        /** @description Workflow id. */
        WorkflowId: string;
    };
    requestBodies: never;
    headers: {
        /** @description The operation to poll: `/api/v1/operations/{id}`. */
        Location: string;
        /** @description Seconds to wait before retrying. */
        RetryAfter: number;
        /** @description The session cookie `nembl_session` (httpOnly, SameSite=Strict, Secure on https). */
        SetSession: string;
        /** @description Request id (echoes a valid incoming `X-Request-Id`). */
        XRequestId: string;
    };
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    listAuditEvents: {
        parameters: {
            query?: {
                /** @description Action name, e.g. `secrets:read`. */
                action?: string & (unknown & unknown);
                /** @description Actor id or label. */
                actor?: string & (unknown & unknown);
                /** @description Opaque cursor from `nextCursor`; invalid → 400. */
                cursor?: components["parameters"]["Cursor"];
                /** @description Only allowed or only denied requests. */
                decision?: "allow" | "deny";
                /** @description Inclusive lower bound on `at`. */
                from?: string;
                /** @description Page size, 1–200 (default 50); outside → 400. */
                limit?: components["parameters"]["Limit"];
                /** @description Secret name. */
                secret?: string & (unknown & unknown);
                /** @description Exclusive upper bound on `at`; not before `from` (else 400). */
                to?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of events. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["XRequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AuditEventPage"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            429: components["responses"]["TooManyRequests"];
            503: components["responses"]["Unavailable"];
            default: components["responses"]["InternalError"];
        };
    };
    exportAuditEvents: {
        parameters: {
            query?: {
                /** @description Action name, e.g. `secrets:read`. */
                action?: string & (unknown & unknown);
                /** @description Actor id or label. */
                actor?: string & (unknown & unknown);
                /** @description Only allowed or only denied requests. */
                decision?: "allow" | "deny";
                /** @description `csv` (text/csv) or `jsonl` (JSON Lines, application/x-ndjson). */
                format?: "csv" | "jsonl";
                /** @description Inclusive lower bound on `at`. */
                from?: string;
                /** @description Secret name. */
                secret?: string & (unknown & unknown);
                /** @description Exclusive upper bound on `at`; not before `from` (else 400). */
                to?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The file. */
            200: {
                headers: {
                    /** @description `attachment; filename="nembl-audit-<time>.<format>"` */
                    "Content-Disposition"?: string;
                    "X-Request-Id": components["headers"]["XRequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/x-ndjson": string;
                    "text/csv": string;
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            429: components["responses"]["TooManyRequests"];
            503: components["responses"]["Unavailable"];
            default: components["responses"]["InternalError"];
        };
    };
    verifyAuditChain: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The result. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["XRequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AuditVerification"];
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            429: components["responses"]["TooManyRequests"];
            503: components["responses"]["Unavailable"];
            default: components["responses"]["InternalError"];
        };
    };
    getCsrfToken: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The token. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["XRequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        token: string;
                    };
                };
            };
            401: components["responses"]["Unauthorized"];
            429: components["responses"]["TooManyRequests"];
            503: components["responses"]["Unavailable"];
            default: components["responses"]["InternalError"];
        };
    };
    login: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["LoginRequest"];
            };
        };
        responses: {
            /** @description Signed in. */
            200: {
                headers: {
                    "Set-Cookie": components["headers"]["SetSession"];
                    "X-Request-Id": components["headers"]["XRequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Session"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            429: components["responses"]["TooManyRequests"];
            503: components["responses"]["Unavailable"];
            default: components["responses"]["InternalError"];
        };
    };
    logout: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Signed out (cookie cleared). */
            204: {
                headers: {
                    "X-Request-Id": components["headers"]["XRequestId"];
                    [name: string]: unknown;
                };
                content?: never;
            };
            403: components["responses"]["Forbidden"];
            503: components["responses"]["Unavailable"];
            default: components["responses"]["InternalError"];
        };
    };
    signup: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["SignupRequest"];
            };
        };
        responses: {
            /** @description Signed up and signed in. */
            201: {
                headers: {
                    "Set-Cookie": components["headers"]["SetSession"];
                    "X-Request-Id": components["headers"]["XRequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Session"];
                };
            };
            400: components["responses"]["BadRequest"];
            403: components["responses"]["Forbidden"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            503: components["responses"]["Unavailable"];
            default: components["responses"]["InternalError"];
        };
    };
    listConnectors: {
        parameters: {
            query?: {
                /** @description Opaque cursor from `nextCursor`; invalid → 400. */
                cursor?: components["parameters"]["Cursor"];
                /** @description Page size, 1–200 (default 50); outside → 400. */
                limit?: components["parameters"]["Limit"];
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of connectors. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["XRequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ConnectorPage"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            429: components["responses"]["TooManyRequests"];
            503: components["responses"]["Unavailable"];
            default: components["responses"]["InternalError"];
        };
    };
    createConnector: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreateConnectorRequest"];
            };
        };
        responses: {
            /** @description Created. */
            201: {
                headers: {
                    "X-Request-Id": components["headers"]["XRequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        connector: components["schemas"]["Connector"];
                    };
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["Unprocessable"];
            429: components["responses"]["TooManyRequests"];
            503: components["responses"]["Unavailable"];
            default: components["responses"]["InternalError"];
        };
    };
    getConnector: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Connector id. */
                id: components["parameters"]["ConnectorId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The connector. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["XRequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        connector: components["schemas"]["Connector"];
                    };
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            429: components["responses"]["TooManyRequests"];
            503: components["responses"]["Unavailable"];
            default: components["responses"]["InternalError"];
        };
    };
    deleteConnector: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Connector id. */
                id: components["parameters"]["ConnectorId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Deleted. */
            204: {
                headers: {
                    "X-Request-Id": components["headers"]["XRequestId"];
                    [name: string]: unknown;
                };
                content?: never;
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            429: components["responses"]["TooManyRequests"];
            503: components["responses"]["Unavailable"];
            default: components["responses"]["InternalError"];
        };
    };
    updateConnector: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Connector id. */
                id: components["parameters"]["ConnectorId"];
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["PatchConnectorRequest"];
            };
        };
        responses: {
            /** @description Updated. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["XRequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        connector: components["schemas"]["Connector"];
                    };
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["Unprocessable"];
            429: components["responses"]["TooManyRequests"];
            503: components["responses"]["Unavailable"];
            default: components["responses"]["InternalError"];
        };
    };
    getConnectorCredentials: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Connector id. */
                id: components["parameters"]["ConnectorId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The value and its version. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["XRequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ConnectorCredentials"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            422: components["responses"]["Unprocessable"];
            429: components["responses"]["TooManyRequests"];
            503: components["responses"]["Unavailable"];
            default: components["responses"]["InternalError"];
        };
    };
    testConnector: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Connector id. */
                id: components["parameters"]["ConnectorId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The test result. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["XRequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ConnectorTestResult"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            422: components["responses"]["Unprocessable"];
            429: components["responses"]["TooManyRequests"];
            503: components["responses"]["Unavailable"];
            default: components["responses"]["InternalError"];
        };
    };
    resolveEnv: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["EnvResolveRequest"];
            };
        };
        responses: {
            /** @description The environment, at the current versions. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["XRequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RunEnv"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["Unprocessable"];
            429: components["responses"]["TooManyRequests"];
            503: components["responses"]["Unavailable"];
            default: components["responses"]["InternalError"];
        };
    };
    getMe: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The caller. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["XRequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Me"];
                };
            };
            401: components["responses"]["Unauthorized"];
            429: components["responses"]["TooManyRequests"];
            503: components["responses"]["Unavailable"];
            default: components["responses"]["InternalError"];
        };
    };
    changePassword: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ChangePasswordRequest"];
            };
        };
        responses: {
            /** @description Changed. */
            204: {
                headers: {
                    "X-Request-Id": components["headers"]["XRequestId"];
                    [name: string]: unknown;
                };
                content?: never;
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            429: components["responses"]["TooManyRequests"];
            503: components["responses"]["Unavailable"];
            default: components["responses"]["InternalError"];
        };
    };
    checkMyPermissions: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["PermissionsRequest"];
            };
        };
        responses: {
            /** @description The answers. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["XRequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PermissionResults"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            429: components["responses"]["TooManyRequests"];
            503: components["responses"]["Unavailable"];
            default: components["responses"]["InternalError"];
        };
    };
    listOperations: {
        parameters: {
            query?: {
                /** @description Opaque cursor from `nextCursor`; invalid → 400. */
                cursor?: components["parameters"]["Cursor"];
                /** @description Page size, 1–200 (default 50); outside → 400. */
                limit?: components["parameters"]["Limit"];
                /** @description Only operations on the secret with this name. */
                secret?: string;
                /** @description Only operations in these states; repeat for OR. */
                status?: ("queued" | "running" | "succeeded" | "failed")[];
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of operations. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["XRequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["OperationPage"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            429: components["responses"]["TooManyRequests"];
            503: components["responses"]["Unavailable"];
            default: components["responses"]["InternalError"];
        };
    };
    getOperation: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Operation id. */
                id: components["parameters"]["OperationId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The operation. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["XRequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Operation"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            404: components["responses"]["NotFound"];
            429: components["responses"]["TooManyRequests"];
            503: components["responses"]["Unavailable"];
            default: components["responses"]["InternalError"];
        };
    };
    listPolicies: {
        parameters: {
            query?: {
                /** @description Opaque cursor from `nextCursor`; invalid → 400. */
                cursor?: components["parameters"]["Cursor"];
                /** @description Page size, 1–200 (default 50); outside → 400. */
                limit?: components["parameters"]["Limit"];
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of policies, by name. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["XRequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PolicyPage"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            429: components["responses"]["TooManyRequests"];
            503: components["responses"]["Unavailable"];
            default: components["responses"]["InternalError"];
        };
    };
    createPolicy: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["PolicyDocument"];
            };
        };
        responses: {
            /** @description Created. */
            201: {
                headers: {
                    "X-Request-Id": components["headers"]["XRequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        policy: components["schemas"]["Policy"];
                    };
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            429: components["responses"]["TooManyRequests"];
            503: components["responses"]["Unavailable"];
            default: components["responses"]["InternalError"];
        };
    };
    getPolicy: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Policy id. */
                id: components["parameters"]["PolicyId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The policy. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["XRequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        policy: components["schemas"]["Policy"];
                    };
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            429: components["responses"]["TooManyRequests"];
            503: components["responses"]["Unavailable"];
            default: components["responses"]["InternalError"];
        };
    };
    replacePolicy: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Policy id. */
                id: components["parameters"]["PolicyId"];
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["PolicyDocument"];
            };
        };
        responses: {
            /** @description Replaced. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["XRequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        policy: components["schemas"]["Policy"];
                    };
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            429: components["responses"]["TooManyRequests"];
            503: components["responses"]["Unavailable"];
            default: components["responses"]["InternalError"];
        };
    };
    deletePolicy: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Policy id. */
                id: components["parameters"]["PolicyId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Deleted. */
            204: {
                headers: {
                    "X-Request-Id": components["headers"]["XRequestId"];
                    [name: string]: unknown;
                };
                content?: never;
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            429: components["responses"]["TooManyRequests"];
            503: components["responses"]["Unavailable"];
            default: components["responses"]["InternalError"];
        };
    };
    simulatePolicy: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["SimulateRequest"];
            };
        };
        responses: {
            /** @description The decision and the statements that decided it. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["XRequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Decision"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["Unprocessable"];
            429: components["responses"]["TooManyRequests"];
            503: components["responses"]["Unavailable"];
            default: components["responses"]["InternalError"];
        };
    };
    resolveRunPhaseEnv: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The phase name, URL-encoded. */
                phase: string;
                /** @description Run id. */
                runId: components["parameters"]["RunId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The environment. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["XRequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RunEnv"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            410: components["responses"]["Gone"];
            422: components["responses"]["Unprocessable"];
            429: components["responses"]["TooManyRequests"];
            503: components["responses"]["Unavailable"];
            default: components["responses"]["InternalError"];
        };
    };
    listSecrets: {
        parameters: {
            query?: {
                /** @description Opaque cursor from `nextCursor`; invalid → 400. */
                cursor?: components["parameters"]["Cursor"];
                /** @description Reminder due: already overdue, or within 7 / 30 days. */
                due?: "overdue" | "7d" | "30d";
                /** @description Page size, 1–200 (default 50); outside → 400. */
                limit?: components["parameters"]["Limit"];
                /** @description Name or description contains (case-insensitive). */
                q?: string & (unknown & unknown);
                /** @description `key:value` (split at the first `:`); repeat for AND. */
                tag?: string[];
                /** @description Secret type. */
                type?: "api_key" | "oauth_token" | "password" | "certificate" | "custom";
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of secrets (metadata only). */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["XRequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SecretPage"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            429: components["responses"]["TooManyRequests"];
            503: components["responses"]["Unavailable"];
            default: components["responses"]["InternalError"];
        };
    };
    createSecret: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreateSecretRequest"];
            };
        };
        responses: {
            /** @description Created: the store operation succeeded within NEMBL_WRITE_WAIT_MS. */
            201: {
                headers: {
                    "X-Request-Id": components["headers"]["XRequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SecretWrite"];
                };
            };
            /** @description Accepted: the store operation is still running (or failed) — poll `Location`. */
            202: {
                headers: {
                    Location: components["headers"]["Location"];
                    "X-Request-Id": components["headers"]["XRequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SecretWrite"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            429: components["responses"]["TooManyRequests"];
            503: components["responses"]["Unavailable"];
            default: components["responses"]["InternalError"];
        };
    };
    getSecret: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Secrets are addressed by name within the company. */
                name: components["parameters"]["SecretName"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The secret. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["XRequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SecretDetail"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            404: components["responses"]["NotFound"];
            429: components["responses"]["TooManyRequests"];
            503: components["responses"]["Unavailable"];
            default: components["responses"]["InternalError"];
        };
    };
    deleteSecret: {
        parameters: {
            query?: {
                /** @description The secret name, repeated. */
                confirm?: string;
            };
            header?: never;
            path: {
                /** @description Secrets are addressed by name within the company. */
                name: components["parameters"]["SecretName"];
            };
            cookie?: never;
        };
        requestBody?: {
            content: {
                "application/json": components["schemas"]["DeleteSecretRequest"];
            };
        };
        responses: {
            /** @description Deleted: the store operation succeeded within NEMBL_WRITE_WAIT_MS. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["XRequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SecretDelete"];
                };
            };
            /** @description Accepted: the store operation is still running (or failed) — poll `Location`. */
            202: {
                headers: {
                    Location: components["headers"]["Location"];
                    "X-Request-Id": components["headers"]["XRequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SecretDelete"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["DeleteNotConfirmed"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            429: components["responses"]["TooManyRequests"];
            503: components["responses"]["Unavailable"];
            default: components["responses"]["InternalError"];
        };
    };
    updateSecret: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Secrets are addressed by name within the company. */
                name: components["parameters"]["SecretName"];
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["PatchSecretRequest"];
            };
        };
        responses: {
            /** @description Updated. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["XRequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        secret: components["schemas"]["Secret"];
                    };
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            429: components["responses"]["TooManyRequests"];
            503: components["responses"]["Unavailable"];
            default: components["responses"]["InternalError"];
        };
    };
    listSecretBindings: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Secrets are addressed by name within the company. */
                name: components["parameters"]["SecretName"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The bindings. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["XRequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        items: components["schemas"]["BoundResource"][];
                    };
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            404: components["responses"]["NotFound"];
            429: components["responses"]["TooManyRequests"];
            503: components["responses"]["Unavailable"];
            default: components["responses"]["InternalError"];
        };
    };
    setSecretReminder: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Secrets are addressed by name within the company. */
                name: components["parameters"]["SecretName"];
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ReminderRequest"];
            };
        };
        responses: {
            /** @description Updated; `reminder.nextDueAt` is recomputed. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["XRequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        secret: components["schemas"]["Secret"];
                    };
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            429: components["responses"]["TooManyRequests"];
            503: components["responses"]["Unavailable"];
            default: components["responses"]["InternalError"];
        };
    };
    deleteSecretReminder: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Secrets are addressed by name within the company. */
                name: components["parameters"]["SecretName"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Updated; `reminder` is null. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["XRequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        secret: components["schemas"]["Secret"];
                    };
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            429: components["responses"]["TooManyRequests"];
            503: components["responses"]["Unavailable"];
            default: components["responses"]["InternalError"];
        };
    };
    putSecretValue: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Secrets are addressed by name within the company. */
                name: components["parameters"]["SecretName"];
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["PutSecretValueRequest"];
            };
        };
        responses: {
            /** @description Updated: the store operation succeeded within NEMBL_WRITE_WAIT_MS. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["XRequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SecretWrite"];
                };
            };
            /** @description Accepted: the store operation is still running (or failed) — poll `Location`. */
            202: {
                headers: {
                    Location: components["headers"]["Location"];
                    "X-Request-Id": components["headers"]["XRequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SecretWrite"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            429: components["responses"]["TooManyRequests"];
            503: components["responses"]["Unavailable"];
            default: components["responses"]["InternalError"];
        };
    };
    listTokens: {
        parameters: {
            query?: {
                /** @description Opaque cursor from `nextCursor`; invalid → 400. */
                cursor?: components["parameters"]["Cursor"];
                /** @description Page size, 1–200 (default 50); outside → 400. */
                limit?: components["parameters"]["Limit"];
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of tokens, by name. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["XRequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TokenPage"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            429: components["responses"]["TooManyRequests"];
            503: components["responses"]["Unavailable"];
            default: components["responses"]["InternalError"];
        };
    };
    createToken: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreateTokenRequest"];
            };
        };
        responses: {
            /** @description Created; `token` is shown once. */
            201: {
                headers: {
                    "X-Request-Id": components["headers"]["XRequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CreatedToken"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            429: components["responses"]["TooManyRequests"];
            503: components["responses"]["Unavailable"];
            default: components["responses"]["InternalError"];
        };
    };
    getToken: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Token id. */
                id: components["parameters"]["TokenId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The token. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["XRequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        token: components["schemas"]["Token"];
                    };
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            429: components["responses"]["TooManyRequests"];
            503: components["responses"]["Unavailable"];
            default: components["responses"]["InternalError"];
        };
    };
    revokeToken: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Token id. */
                id: components["parameters"]["TokenId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Revoked. */
            204: {
                headers: {
                    "X-Request-Id": components["headers"]["XRequestId"];
                    [name: string]: unknown;
                };
                content?: never;
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            429: components["responses"]["TooManyRequests"];
            503: components["responses"]["Unavailable"];
            default: components["responses"]["InternalError"];
        };
    };
    listUsers: {
        parameters: {
            query?: {
                /** @description Opaque cursor from `nextCursor`; invalid → 400. */
                cursor?: components["parameters"]["Cursor"];
                /** @description Page size, 1–200 (default 50); outside → 400. */
                limit?: components["parameters"]["Limit"];
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of users, by email. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["XRequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["UserPage"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            429: components["responses"]["TooManyRequests"];
            503: components["responses"]["Unavailable"];
            default: components["responses"]["InternalError"];
        };
    };
    createUser: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreateUserRequest"];
            };
        };
        responses: {
            /** @description Created. */
            201: {
                headers: {
                    "X-Request-Id": components["headers"]["XRequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        user: components["schemas"]["User"];
                    };
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            429: components["responses"]["TooManyRequests"];
            503: components["responses"]["Unavailable"];
            default: components["responses"]["InternalError"];
        };
    };
    getUser: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description User id. */
                id: components["parameters"]["UserId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The user. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["XRequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        user: components["schemas"]["User"];
                    };
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            429: components["responses"]["TooManyRequests"];
            503: components["responses"]["Unavailable"];
            default: components["responses"]["InternalError"];
        };
    };
    deleteUser: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description User id. */
                id: components["parameters"]["UserId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Removed. */
            204: {
                headers: {
                    "X-Request-Id": components["headers"]["XRequestId"];
                    [name: string]: unknown;
                };
                content?: never;
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            429: components["responses"]["TooManyRequests"];
            503: components["responses"]["Unavailable"];
            default: components["responses"]["InternalError"];
        };
    };
    updateUser: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description User id. */
                id: components["parameters"]["UserId"];
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["UpdateUserRequest"];
            };
        };
        responses: {
            /** @description Updated. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["XRequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        user: components["schemas"]["User"];
                    };
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            429: components["responses"]["TooManyRequests"];
            503: components["responses"]["Unavailable"];
            default: components["responses"]["InternalError"];
        };
    };
    listWorkflows: {
        parameters: {
            query?: {
                /** @description Opaque cursor from `nextCursor`; invalid → 400. */
                cursor?: components["parameters"]["Cursor"];
                /** @description Page size, 1–200 (default 50); outside → 400. */
                limit?: components["parameters"]["Limit"];
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of workflows. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["XRequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WorkflowPage"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            429: components["responses"]["TooManyRequests"];
            503: components["responses"]["Unavailable"];
            default: components["responses"]["InternalError"];
        };
    };
    createWorkflow: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["WorkflowRequest"];
            };
        };
        responses: {
            /** @description Created. */
            201: {
                headers: {
                    "X-Request-Id": components["headers"]["XRequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        workflow: components["schemas"]["Workflow"];
                    };
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["Unprocessable"];
            429: components["responses"]["TooManyRequests"];
            503: components["responses"]["Unavailable"];
            default: components["responses"]["InternalError"];
        };
    };
    getWorkflow: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Workflow id. */
                id: components["parameters"]["WorkflowId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The workflow. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["XRequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        workflow: components["schemas"]["Workflow"];
                    };
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            429: components["responses"]["TooManyRequests"];
            503: components["responses"]["Unavailable"];
            default: components["responses"]["InternalError"];
        };
    };
    replaceWorkflow: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Workflow id. */
                id: components["parameters"]["WorkflowId"];
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["WorkflowRequest"];
            };
        };
        responses: {
            /** @description Replaced. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["XRequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        workflow: components["schemas"]["Workflow"];
                    };
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["Unprocessable"];
            429: components["responses"]["TooManyRequests"];
            503: components["responses"]["Unavailable"];
            default: components["responses"]["InternalError"];
        };
    };
    deleteWorkflow: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Workflow id. */
                id: components["parameters"]["WorkflowId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Deleted. */
            204: {
                headers: {
                    "X-Request-Id": components["headers"]["XRequestId"];
                    [name: string]: unknown;
                };
                content?: never;
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            429: components["responses"]["TooManyRequests"];
            503: components["responses"]["Unavailable"];
            default: components["responses"]["InternalError"];
        };
    };
    startWorkflowRun: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Workflow id. */
                id: components["parameters"]["WorkflowId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Started. */
            201: {
                headers: {
                    "X-Request-Id": components["headers"]["XRequestId"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        run: components["schemas"]["Run"];
                    };
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            422: components["responses"]["Unprocessable"];
            429: components["responses"]["TooManyRequests"];
            503: components["responses"]["Unavailable"];
            default: components["responses"]["InternalError"];
        };
    };
}
