import type { NextFunction, Request, Response } from 'express';
import type { ApiScope } from '../contracts/api-scope.js';
import type { AuditActor } from '../contracts/watch.js';
import { authorize, type Caller } from './auth.js';

const callerOf = (res: Response): Caller => res.locals.caller as Caller;

/** The authenticated caller's name, for rate limits and logs. */
export const principalOf = (res: Response): string => callerOf(res).name;

/** Refuses the request unless its caller holds `scope`; the scope is then what the audit trail records. */
export const requireScope =
  (scope: ApiScope) =>
  (req: Request, res: Response, next: NextFunction): void => {
    authorize(callerOf(res), scope, `${req.method} ${req.baseUrl}${req.route?.path ?? req.path}`);
    res.locals.scope = scope;
    next();
  };

/** The caller as the audit trail names it: its name and the scope the endpoint required. */
export const auditActorOf = (res: Response): AuditActor => ({ actor: callerOf(res).name, scope: res.locals.scope as ApiScope });
