/**
 * Throwaway certificates for TLS tests, made with `openssl` in a temporary directory: a CA,
 * certificates it signs (valid for 127.0.0.1 and localhost, for servers and clients), and a
 * second, unrelated CA with a certificate of its own (a rogue node). Tests skip, naming
 * openssl, where it is missing (scripts/test_deps.sh installs it).
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { makeTempDir, removeTempDir } from "./temp_dir.ts";

function hasOpenssl(): boolean {
  try {
    execFileSync("openssl", ["version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** `skip` for tests that need certificates. */
export const OPENSSL_SKIP: string | false = hasOpenssl()
  ? false
  : "needs openssl to make test certificates (scripts/test_deps.sh installs it)";

/** File names of one certificate and its key, and their PEM text. */
export interface CertFiles {
  readonly cert: string;
  readonly key: string;
  readonly certPem: string;
  readonly keyPem: string;
}

export class TestCerts {
  readonly dir = makeTempDir("tinykv-tls-");

  /** A new self-signed CA named `name`. */
  ca(name: string): CertFiles {
    this.#openssl([
      "req",
      "-x509",
      ...this.#newKey(name),
      "-out",
      this.#file(`${name}.crt`),
      "-days",
      "2",
      "-subj",
      `/CN=${name}`,
    ]);
    return this.#files(name);
  }

  /** A certificate for `name`, signed by `ca`, for 127.0.0.1 and localhost (or `altNames`). */
  signed(name: string, ca: CertFiles, altNames = "IP:127.0.0.1,DNS:localhost"): CertFiles {
    const csr = this.#file(`${name}.csr`), ext = this.#file(`${name}.ext`);
    this.#openssl(["req", ...this.#newKey(name), "-out", csr, "-subj", `/CN=${name}`]);
    fs.writeFileSync(
      ext,
      `subjectAltName=${altNames}\nextendedKeyUsage=serverAuth,clientAuth\n`,
    );
    this.#openssl([
      "x509",
      "-req",
      "-in",
      csr,
      "-CA",
      ca.cert,
      "-CAkey",
      ca.key,
      "-CAcreateserial",
      "-out",
      this.#file(`${name}.crt`),
      "-days",
      "2",
      "-extfile",
      ext,
    ]);
    return this.#files(name);
  }

  remove(): void {
    removeTempDir(this.dir);
  }

  #newKey(name: string): string[] {
    const key = this.#file(`${name}.key`);
    return ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key];
  }

  #file(name: string): string {
    return path.join(this.dir, name);
  }

  #files(name: string): CertFiles {
    const cert = this.#file(`${name}.crt`), key = this.#file(`${name}.key`);
    return {
      cert,
      key,
      certPem: fs.readFileSync(cert, "utf8"),
      keyPem: fs.readFileSync(key, "utf8"),
    };
  }

  #openssl(args: string[]): void {
    execFileSync("openssl", args, { stdio: ["ignore", "ignore", "pipe"] });
  }
}
