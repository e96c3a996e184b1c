import { ConnectionClosedError } from 'bullmq';
import { ReplyError } from 'ioredis';
import { MaxRetriesPerRequestError } from 'ioredis/built/errors/index.js';
import { CONNECTION_CLOSED_ERROR_MSG } from 'ioredis/built/utils/index.js';
import { OperationalError } from './failure.js';

/** Raised by the product itself when Redis cannot be used now (not connected, or a request ran out of time). */
export class RedisUnavailableError extends OperationalError {
  override readonly name = 'RedisUnavailableError';

  constructor(message: string, options: { cause?: unknown } = {}) {
    super('redis.unavailable', 'retryable', message, options);
  }
}

type ErrorClass = abstract new (...args: never[]) => Error;

/**
 * ioredis' `AbortError` (`redis-errors`): a command given up because its connection closed (an unfinished
 * pipeline or transaction, the offline queue flushed). ioredis does not re-export it; it is the base class of the
 * `MaxRetriesPerRequestError` it does export.
 */
const AbortError = Object.getPrototypeOf(MaxRetriesPerRequestError) as ErrorClass;

/** Socket and resolver failures on the way to Redis (Node's `error.code`). */
const NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTCONN',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'ERR_SOCKET_CLOSED',
  'ERR_STREAM_DESTROYED',
]);

/**
 * Replies with which a Redis server says it cannot serve now (the error code is the reply's first word, by the
 * protocol): still loading its data set, a replica or a master without its replicas, a cluster without quorum.
 */
const UNAVAILABLE_REPLIES: ReadonlySet<string> = new Set(['LOADING', 'READONLY', 'MASTERDOWN', 'CLUSTERDOWN', 'TRYAGAIN', 'BUSY']);

const replyCodeOf = (error: Error): string => error.message.split(' ', 1)[0] ?? '';

/** The classes whose every instance means the connection is gone (checked without narrowing the error's type). */
const UNAVAILABLE_CLASSES: readonly ErrorClass[] = [
  RedisUnavailableError,
  // MaxRetriesPerRequestError is an AbortError: the command waited through its reconnection attempts.
  AbortError,
  ConnectionClosedError,
];

function isUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (UNAVAILABLE_CLASSES.some((errorClass) => error instanceof errorClass)) return true;
  const code = (error as NodeJS.ErrnoException).code;
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return true;
  if (error instanceof ReplyError) return UNAVAILABLE_REPLIES.has(replyCodeOf(error));
  // A plain Error of ioredis' own, with no class or code of its own: a command on a connection that has ended.
  // Compared with ioredis' exported constant, not matched as text.
  return error.constructor === Error && error.message === CONNECTION_CLOSED_ERROR_MSG;
}

/**
 * The one place that decides whether an error means "Redis is unreachable or went away", by the error's class and
 * properties: ioredis' `MaxRetriesPerRequestError`/`AbortError`, BullMQ's `ConnectionClosedError`, a socket
 * error code, a server reply saying it cannot serve now, a command on an ended connection, or the product's own
 * {@link RedisUnavailableError}. Follows `cause` and a transaction's `previousErrors`.
 */
export function isRedisUnavailable(error: unknown, depth = 0): boolean {
  if (isUnavailable(error)) return true;
  if (depth >= 3 || !(error instanceof Error)) return false;
  const previous = (error as { previousErrors?: unknown }).previousErrors;
  if (Array.isArray(previous) && previous.some((inner) => isRedisUnavailable(inner, depth + 1))) return true;
  return error.cause !== undefined && error.cause !== error && isRedisUnavailable(error.cause, depth + 1);
}
