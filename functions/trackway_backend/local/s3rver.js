'use strict';
// s3rver for the local stack, made to refuse what S3 refuses.
//
// s3rver 3.7 checks the expiry of SigV4 presigned URLs but not their signatures, lets anonymous requests
// through, and only knows its built-in S3RVER key. This launcher registers the local stack's key pair and
// puts one middleware in front of s3rver's routes that:
//   - verifies SigV4 signatures (presigned query and Authorization header) with that key pair, so a
//     tampered URL is refused, and refuses anonymous requests (the bucket blocks public access in AWS);
//   - refuses expired presigned URLs;
//   - implements AbortMultipartUpload and answers NoSuchUpload for unknown upload ids, which s3rver does
//     not, and refuses to complete an upload whose non-final parts are under 5 MiB (EntityTooSmall).
// Payload hashes are not checked (neither does s3rver).
//
// Usage: node s3rver.js --modules <node_modules> --directory <dir> --address <host> --port <n>
//                       --access-key-id <id> --secret-access-key <secret>

const crypto = require('crypto');
const fs = require('fs');
const path = require('path');

function parseArgs(argv) {
  const args = {};
  for (let i = 0; i < argv.length; i += 2) {
    if (!argv[i].startsWith('--')) throw new Error(`unexpected argument ${argv[i]}`);
    args[argv[i].slice(2)] = argv[i + 1];
  }
  for (const name of ['modules', 'directory', 'address', 'port', 'access-key-id', 'secret-access-key']) {
    if (!args[name]) throw new Error(`missing --${name}`);
  }
  return args;
}

const args = parseArgs(process.argv.slice(2));
const S3rver = require(path.join(args.modules, 's3rver'));
const AWSAccount = require(path.join(args.modules, 's3rver/lib/models/account'));
const S3Error = require(path.join(args.modules, 's3rver/lib/models/error'));

const MIN_PART_BYTES = 5 * 1024 * 1024;
const UPLOAD_ID = /^[0-9a-f]{32}$/;

AWSAccount.DUMMY_ACCOUNT.revokeAccessKey('S3RVER');
AWSAccount.DUMMY_ACCOUNT.createKeyPair(args['access-key-id'], args['secret-access-key']);

const rfc3986 = value =>
  encodeURIComponent(value).replace(/[!'()*]/g, c => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

function decode(value) {
  try {
    return decodeURIComponent(value);
  } catch (err) {
    return value;
  }
}

function queryPairs(raw) {
  return (raw || '')
    .split('&')
    .filter(Boolean)
    .map(pair => {
      const at = pair.indexOf('=');
      return at < 0 ? [decode(pair), ''] : [decode(pair.slice(0, at)), decode(pair.slice(at + 1))];
    });
}

const hmac = (key, data) => crypto.createHmac('sha256', key).update(data, 'utf8').digest();
const sha256 = data => crypto.createHash('sha256').update(data, 'utf8').digest('hex');

function parseAmzDate(value) {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value || '');
  return m ? Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) : NaN;
}

function denied(message) {
  return new S3Error('AccessDenied', message);
}

// The SigV4 fields of a request, from its presigned query or its Authorization header.
function sigv4Fields(ctx, pairs) {
  const query = Object.fromEntries(pairs);
  if ('X-Amz-Algorithm' in query) {
    if (query['X-Amz-Algorithm'] !== 'AWS4-HMAC-SHA256') throw denied('Only AWS4-HMAC-SHA256 is accepted');
    const date = parseAmzDate(query['X-Amz-Date']);
    const expires = Number(query['X-Amz-Expires']);
    if (isNaN(date) || !Number.isInteger(expires) || expires < 0 || expires > 604800) {
      throw new S3Error('AuthorizationQueryParametersError', 'Invalid X-Amz-Date or X-Amz-Expires');
    }
    if (Date.now() > date + expires * 1000) throw denied('Request has expired');
    return {
      credential: query['X-Amz-Credential'] || '',
      signedHeaders: query['X-Amz-SignedHeaders'] || '',
      signature: query['X-Amz-Signature'] || '',
      amzDate: query['X-Amz-Date'],
      payloadHash: query['X-Amz-Content-Sha256'] || 'UNSIGNED-PAYLOAD',
      pairs: pairs.filter(([key]) => key !== 'X-Amz-Signature'),
    };
  }
  const authorization = ctx.get('authorization');
  if (!authorization) throw denied('Anonymous access is blocked: sign the request or use a presigned URL');
  if (!authorization.startsWith('AWS4-HMAC-SHA256 ')) throw denied('Only SigV4 (AWS4-HMAC-SHA256) is accepted');
  const parts = Object.fromEntries(
    authorization
      .slice('AWS4-HMAC-SHA256 '.length)
      .split(',')
      .map(part => part.trim().split('=')),
  );
  return {
    credential: parts.Credential || '',
    signedHeaders: parts.SignedHeaders || '',
    signature: parts.Signature || '',
    amzDate: ctx.get('x-amz-date'),
    payloadHash: ctx.get('x-amz-content-sha256') || 'UNSIGNED-PAYLOAD',
    pairs,
  };
}

function verifySignature(ctx) {
  const fields = sigv4Fields(ctx, queryPairs(ctx.querystring));
  const [accessKeyId, day, region, service, terminator] = fields.credential.split('/');
  const account = AWSAccount.registry.get(accessKeyId);
  if (!account) throw new S3Error('InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist');
  if (terminator !== 'aws4_request' || !fields.amzDate || !fields.amzDate.startsWith(day)) {
    throw new S3Error('AuthorizationHeaderMalformed', 'Malformed SigV4 credential scope');
  }
  const headerNames = fields.signedHeaders.split(';').filter(Boolean);
  const canonicalRequest = [
    ctx.method,
    ctx.path.split('/').map(segment => rfc3986(decode(segment))).join('/'),
    fields.pairs
      .map(([key, value]) => [rfc3986(key), rfc3986(value)])
      .sort((a, b) => (a[0] === b[0] ? (a[1] < b[1] ? -1 : 1) : a[0] < b[0] ? -1 : 1))
      .map(([key, value]) => `${key}=${value}`)
      .join('&'),
    headerNames.map(name => `${name}:${String(ctx.get(name)).trim().replace(/\s+/g, ' ')}\n`).join(''),
    fields.signedHeaders,
    fields.payloadHash,
  ].join('\n');
  const scope = [day, region, service, terminator].join('/');
  const stringToSign = ['AWS4-HMAC-SHA256', fields.amzDate, scope, sha256(canonicalRequest)].join('\n');
  let key = hmac(`AWS4${account.accessKeys.get(accessKeyId)}`, day);
  for (const part of [region, service, terminator]) key = hmac(key, part);
  const expected = Buffer.from(hmac(key, stringToSign).toString('hex'));
  const provided = Buffer.from(fields.signature);
  if (expected.length !== provided.length || !crypto.timingSafeEqual(expected, provided)) {
    throw new S3Error(
      'SignatureDoesNotMatch',
      'The request signature we calculated does not match the signature you provided.',
    );
  }
}

// Multipart behaviour s3rver lacks. Returns true when the request was answered here.
function multipart(ctx) {
  const uploadId = ctx.query.uploadId;
  if (uploadId === undefined) return false;
  const bucket = ctx.path.split('/')[1];
  const uploadDir = path.join(ctx.store.getResourcePath(bucket, undefined, 'uploads'), String(uploadId));
  if (!UPLOAD_ID.test(uploadId) || !fs.existsSync(uploadDir)) {
    throw new S3Error('NoSuchUpload', 'The specified upload does not exist.', { UploadId: uploadId });
  }
  if (ctx.method === 'DELETE') {
    fs.rmSync(uploadDir, { recursive: true, force: true });
    ctx.status = 204;
    return true;
  }
  if (ctx.method === 'POST') {
    const parts = fs
      .readdirSync(uploadDir)
      .filter(name => /^\d+$/.test(name))
      .map(name => [Number(name), fs.statSync(path.join(uploadDir, name)).size])
      .sort((a, b) => a[0] - b[0]);
    if (parts.slice(0, -1).some(([, size]) => size < MIN_PART_BYTES)) {
      throw new S3Error('EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed object size.');
    }
  }
  return false;
}

async function s3Rules(ctx, next) {
  verifySignature(ctx);
  if (!multipart(ctx)) await next();
}

const server = new S3rver({
  directory: args.directory,
  address: args.address,
  port: Number(args.port),
  silent: true,
});
// Before s3rver's router, which is the last middleware it installs.
server.middleware.splice(server.middleware.length - 1, 0, s3Rules);
server.run().then(
  ({ address, port }) => console.log('s3rver listening on %s:%d', address, port),
  err => {
    console.error(err);
    process.exit(1);
  },
);
