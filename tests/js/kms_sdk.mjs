// The AWS SDK for JavaScript v3 against `mock-kms serve`, as a Node user would drive it.
// Run by tests/test_js_sdk.py: node kms_sdk.mjs <scenario>, with KMS_ENDPOINT, AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY and AWS_REGION set. Prints one JSON line with what it checked; any failed
// check throws (exit status 1, the reason on stderr).
import assert from "node:assert/strict";
import { createPublicKey, createVerify, publicEncrypt, constants } from "node:crypto";
import {
  KMSClient,
  KMSServiceException,
  CancelKeyDeletionCommand,
  CreateAliasCommand,
  CreateGrantCommand,
  CreateKeyCommand,
  DecryptCommand,
  DescribeKeyCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  GenerateMacCommand,
  GetPublicKeyCommand,
  InvalidCiphertextException,
  KMSInvalidStateException,
  ListAliasesCommand,
  ListGrantsCommand,
  ListKeysCommand,
  NotFoundException,
  RevokeGrantCommand,
  ScheduleKeyDeletionCommand,
  SignCommand,
  VerifyCommand,
  VerifyMacCommand,
} from "@aws-sdk/client-kms";

const region = process.env.AWS_REGION ?? "us-east-1";
const kms = new KMSClient({ region, endpoint: process.env.KMS_ENDPOINT, maxAttempts: 1 });
const text = (bytes) => Buffer.from(bytes).toString("utf8");

async function rejects(promise, errorClass, name) {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof errorClass, `expected a ${errorClass.name}, got ${error?.constructor?.name}: ${error}`);
    assert.equal(error.name, name);
    return error;
  }
  throw new Error(`expected ${name}, the call succeeded`);
}

async function tour() {
  const checked = [];
  // Symmetric key: encrypt/decrypt with an encryption context, data keys, aliases.
  const { KeyMetadata: key } = await kms.send(new CreateKeyCommand({ Description: "from node" }));
  const context = { purpose: "js-test" };
  const { CiphertextBlob } = await kms.send(
    new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from("hello from node"), EncryptionContext: context }),
  );
  const decrypted = await kms.send(new DecryptCommand({ CiphertextBlob, EncryptionContext: context }));
  assert.equal(text(decrypted.Plaintext), "hello from node");
  assert.equal(decrypted.KeyId, key.Arn);
  const wrongContext = await rejects(
    kms.send(new DecryptCommand({ CiphertextBlob, EncryptionContext: { purpose: "other" } })),
    InvalidCiphertextException,
    "InvalidCiphertextException",
  );
  // AWS sends this one without a message; the SDK shows an empty message as "UnknownError".
  assert.equal(wrongContext.message, "UnknownError");
  checked.push("encrypt-decrypt-context");

  const dataKey = await kms.send(new GenerateDataKeyCommand({ KeyId: key.KeyId, KeySpec: "AES_256" }));
  assert.equal(dataKey.Plaintext.length, 32);
  const unwrapped = await kms.send(new DecryptCommand({ CiphertextBlob: dataKey.CiphertextBlob }));
  assert.deepEqual(Buffer.from(unwrapped.Plaintext), Buffer.from(dataKey.Plaintext));
  checked.push("data-key");

  const aliasName = `alias/js-${Date.now()}`;
  await kms.send(new CreateAliasCommand({ AliasName: aliasName, TargetKeyId: key.KeyId }));
  const { Aliases } = await kms.send(new ListAliasesCommand({ KeyId: key.KeyId }));
  assert.deepEqual(
    Aliases.map((alias) => alias.AliasName),
    [aliasName],
  );
  const byAlias = await kms.send(new EncryptCommand({ KeyId: aliasName, Plaintext: Buffer.from("x") }));
  assert.equal(byAlias.KeyId, key.Arn);
  checked.push("aliases");

  // Grants.
  const { GrantId } = await kms.send(
    new CreateGrantCommand({
      KeyId: key.KeyId,
      GranteePrincipal: "arn:aws:iam::123456789012:role/js-worker",
      Operations: ["Decrypt", "Encrypt"],
    }),
  );
  const { Grants } = await kms.send(new ListGrantsCommand({ KeyId: key.KeyId }));
  assert.deepEqual(
    Grants.map((grant) => grant.GrantId),
    [GrantId],
  );
  await kms.send(new RevokeGrantCommand({ KeyId: key.KeyId, GrantId }));
  assert.equal((await kms.send(new ListGrantsCommand({ KeyId: key.KeyId }))).Grants.length, 0);
  checked.push("grants");

  // ECDSA sign/verify, checked from outside with node:crypto.
  const { KeyMetadata: signer } = await kms.send(
    new CreateKeyCommand({ KeySpec: "ECC_NIST_P256", KeyUsage: "SIGN_VERIFY" }),
  );
  const message = Buffer.from("signed in the mock");
  const { Signature } = await kms.send(
    new SignCommand({ KeyId: signer.KeyId, Message: message, SigningAlgorithm: "ECDSA_SHA_256" }),
  );
  const verified = await kms.send(
    new VerifyCommand({ KeyId: signer.KeyId, Message: message, Signature, SigningAlgorithm: "ECDSA_SHA_256" }),
  );
  assert.equal(verified.SignatureValid, true);
  const { PublicKey } = await kms.send(new GetPublicKeyCommand({ KeyId: signer.KeyId }));
  const publicKey = createPublicKey({ key: Buffer.from(PublicKey), format: "der", type: "spki" });
  assert.ok(createVerify("SHA256").update(message).verify(publicKey, Buffer.from(Signature)));
  checked.push("ecdsa-sign-verify");

  // RSA: encrypted outside with the public key, decrypted inside.
  const { KeyMetadata: rsa } = await kms.send(
    new CreateKeyCommand({ KeySpec: "RSA_2048", KeyUsage: "ENCRYPT_DECRYPT" }),
  );
  const rsaPublic = await kms.send(new GetPublicKeyCommand({ KeyId: rsa.KeyId }));
  const sealed = publicEncrypt(
    {
      key: createPublicKey({ key: Buffer.from(rsaPublic.PublicKey), format: "der", type: "spki" }),
      padding: constants.RSA_PKCS1_OAEP_PADDING,
      oaepHash: "sha256",
    },
    Buffer.from("sealed outside"),
  );
  const opened = await kms.send(
    new DecryptCommand({ KeyId: rsa.KeyId, CiphertextBlob: sealed, EncryptionAlgorithm: "RSAES_OAEP_SHA_256" }),
  );
  assert.equal(text(opened.Plaintext), "sealed outside");
  checked.push("rsa-oaep");

  // HMAC.
  const { KeyMetadata: hmacKey } = await kms.send(
    new CreateKeyCommand({ KeySpec: "HMAC_256", KeyUsage: "GENERATE_VERIFY_MAC" }),
  );
  const { Mac } = await kms.send(
    new GenerateMacCommand({ KeyId: hmacKey.KeyId, Message: message, MacAlgorithm: "HMAC_SHA_256" }),
  );
  const macValid = await kms.send(
    new VerifyMacCommand({ KeyId: hmacKey.KeyId, Message: message, Mac, MacAlgorithm: "HMAC_SHA_256" }),
  );
  assert.equal(macValid.MacValid, true);
  checked.push("hmac");

  // Key deletion: the key refuses to work while pending deletion, with AWS's message.
  const scheduled = await kms.send(new ScheduleKeyDeletionCommand({ KeyId: key.KeyId, PendingWindowInDays: 7 }));
  assert.equal(scheduled.KeyState, "PendingDeletion");
  const pending = await rejects(
    kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from("x") })),
    KMSInvalidStateException,
    "KMSInvalidStateException",
  );
  assert.equal(pending.message, `${key.Arn} is pending deletion.`);
  await kms.send(new CancelKeyDeletionCommand({ KeyId: key.KeyId }));
  const { KeyMetadata: cancelled } = await kms.send(new DescribeKeyCommand({ KeyId: key.KeyId }));
  assert.equal(cancelled.KeyState, "Disabled");
  checked.push("key-deletion");

  // Errors arrive as the SDK's own classes, with AWS's messages.
  const missing = "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000";
  const notFound = await rejects(
    kms.send(new DescribeKeyCommand({ KeyId: missing })),
    NotFoundException,
    "NotFoundException",
  );
  assert.equal(notFound.message, `Key '${missing}' does not exist`);
  assert.equal(notFound.$metadata.httpStatusCode, 400);
  checked.push("errors");
  return checked;
}

async function badSignature() {
  // A secret that is not the access key's: the unmodeled AWS error, as a KMSServiceException.
  const forged = new KMSClient({
    region,
    endpoint: process.env.KMS_ENDPOINT,
    maxAttempts: 1,
    credentials: { accessKeyId: process.env.AWS_ACCESS_KEY_ID, secretAccessKey: "not-the-secret" },
  });
  const error = await rejects(forged.send(new ListKeysCommand({})), KMSServiceException, "InvalidSignatureException");
  const unknown = new KMSClient({
    region,
    endpoint: process.env.KMS_ENDPOINT,
    maxAttempts: 1,
    credentials: { accessKeyId: "AKIAUNKNOWNUNKNOWN00", secretAccessKey: "whatever" },
  });
  const unrecognized = await rejects(
    unknown.send(new ListKeysCommand({})),
    KMSServiceException,
    "UnrecognizedClientException",
  );
  return { invalidSignature: error.message, unrecognizedClient: unrecognized.message };
}

const scenario = process.argv[2] ?? "tour";
const result = scenario === "bad-signature" ? await badSignature() : await tour();
console.log(JSON.stringify({ scenario, result }));
