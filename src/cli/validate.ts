// `cnpg validate`: admission of manifests without an API server. Each document of every file is
// reported on one line; details (errors, warnings) follow, indented.
import { readFileSync } from 'node:fs';
import { type Command, Option } from 'commander';
import { type Document, parseAllDocuments, stringify } from 'yaml';
import { admit } from '../api/v1/admission.ts';
import { API_VERSION, GROUP } from '../api/v1/kind-definition.ts';
import { KINDS } from '../api/v1/kinds.ts';

export interface ValidateOptions {
  files: string[];
  old?: string;
  output?: 'yaml';
}

export interface CliIO {
  stdout: (line: string) => void;
  stderr: (line: string) => void;
  readStdin: () => string;
}

/** Exit statuses: every document valid, some invalid, input unreadable. */
export const EXIT_VALID = 0;
export const EXIT_INVALID = 1;
export const EXIT_UNREADABLE = 2;

interface Loaded {
  source: string;
  index: number;
  value: unknown;
}

class UnreadableInput extends Error {}

function readSource(file: string, io: CliIO): string {
  if (file === '-') return io.readStdin();
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (err as Error).message;
    throw new UnreadableInput(`${file}: cannot read: ${reason}`);
  }
}

function parseDocuments(file: string, text: string): Loaded[] {
  const source = file === '-' ? '<stdin>' : file;
  let docs: Document.Parsed[];
  try {
    docs = parseAllDocuments(text, { uniqueKeys: true }) as Document.Parsed[];
  } catch (err) {
    throw new UnreadableInput(`${source}: cannot parse YAML: ${(err as Error).message}`);
  }
  if (!Array.isArray(docs)) throw new UnreadableInput(`${source}: cannot parse YAML`);
  const loaded: Loaded[] = [];
  docs.forEach((doc, i) => {
    const problem = doc.errors[0];
    if (problem !== undefined) {
      throw new UnreadableInput(`${source}: document ${i + 1}: cannot parse YAML: ${firstLine(problem.message)}`);
    }
    const value: unknown = doc.toJS({ maxAliasCount: 100 });
    if (value === null || value === undefined) return; // an empty document, as between two `---`
    loaded.push({ source, index: i + 1, value });
  });
  return loaded;
}

const firstLine = (s: string) => s.split('\n')[0] ?? s;

function load(files: string[], io: CliIO): Loaded[] {
  return files.flatMap((f) => parseDocuments(f, readSource(f, io)));
}

interface Identity {
  apiVersion: unknown;
  kind: unknown;
  name: string;
  namespace: string;
}

function identity(value: Record<string, unknown>): Identity {
  const meta = value.metadata as { name?: unknown; generateName?: unknown; namespace?: unknown } | undefined;
  const name =
    typeof meta?.name === 'string'
      ? meta.name
      : typeof meta?.generateName === 'string'
        ? `${meta.generateName}*`
        : '<unnamed>';
  const namespace = typeof meta?.namespace === 'string' ? meta.namespace : 'default';
  return { apiVersion: value.apiVersion, kind: value.kind, name, namespace };
}

const sameObject = (a: Identity, b: Identity) =>
  a.apiVersion === b.apiVersion && a.kind === b.kind && a.name === b.name && a.namespace === b.namespace;

export function runValidate(opts: ValidateOptions, io: CliIO): number {
  let docs: Loaded[];
  let olds: Loaded[] = [];
  try {
    docs = load(opts.files, io);
    if (opts.old !== undefined) olds = load([opts.old], io);
  } catch (err) {
    if (err instanceof UnreadableInput) {
      io.stderr(`error: ${err.message}`);
      return EXIT_UNREADABLE;
    }
    throw err;
  }
  if (docs.length === 0) {
    io.stderr(`error: no documents found in ${opts.files.join(', ')}`);
    return EXIT_UNREADABLE;
  }
  const label = (d: Loaded, what: string) => (opts.files.length > 1 ? `${d.source}: ${what}` : what);
  let status = EXIT_VALID;
  const printed: string[] = [];
  for (const doc of docs) {
    const where = `document ${doc.index}`;
    if (typeof doc.value !== 'object' || Array.isArray(doc.value) || doc.value === null) {
      io.stdout(label(doc, `${where}: invalid: not a Kubernetes object (expected a mapping with apiVersion and kind)`));
      status = EXIT_INVALID;
      continue;
    }
    const obj = doc.value as Record<string, unknown>;
    const id = identity(obj);
    const missing = [
      id.apiVersion === undefined ? 'apiVersion not set' : '',
      id.kind === undefined ? 'kind not set' : '',
    ].filter((m) => m !== '');
    if (missing.length > 0 || typeof id.apiVersion !== 'string' || typeof id.kind !== 'string') {
      const reason = missing.length > 0 ? missing.join(', ') : 'apiVersion and kind must be strings';
      io.stdout(label(doc, `${where}: invalid: ${reason}`));
      status = EXIT_INVALID;
      continue;
    }
    const title = `${id.kind}/${id.name}`;
    const ownGroup = id.apiVersion.split('/')[0] === GROUP;
    const def = id.apiVersion === API_VERSION ? KINDS.find((k) => k.kind === id.kind) : undefined;
    if (def === undefined) {
      if (ownGroup) {
        io.stdout(label(doc, `${title}: invalid`));
        io.stdout(`  no matches for kind "${id.kind}" in version "${id.apiVersion}"`);
        status = EXIT_INVALID;
      } else {
        io.stdout(label(doc, `${title}: skipped (${id.apiVersion} ${id.kind} is not a ${GROUP} kind)`));
      }
      continue;
    }
    const old = olds.find(
      (o) =>
        typeof o.value === 'object' && o.value !== null && sameObject(identity(o.value as Record<string, unknown>), id),
    );
    const result = admit(def, obj, old?.value);
    if (result.errors.length > 0) {
      io.stdout(label(doc, `${title}: invalid`));
      for (const e of result.errors) io.stdout(`  ${e.toString()}`);
      status = EXIT_INVALID;
    } else {
      io.stdout(label(doc, `${title}: valid${old === undefined ? '' : ' (update)'}`));
      if (result.object !== undefined) printed.push(stringify(result.object, { lineWidth: 0 }));
    }
    for (const w of result.warnings) io.stdout(`  warning: ${w}`);
  }
  if (opts.output === 'yaml' && printed.length > 0)
    io.stdout(
      printed
        .map((p) => `---\n${p}`)
        .join('')
        .trimEnd(),
    );
  return status;
}

const processIO: CliIO = {
  stdout: (line) => process.stdout.write(`${line}\n`),
  stderr: (line) => process.stderr.write(`${line}\n`),
  readStdin: () => readFileSync(0, 'utf8'),
};

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function registerValidateCommand(program: Command): void {
  program
    .command('validate')
    .description('admit manifests as the API server and the webhooks would: defaults, schema, CNPG rules')
    .requiredOption('-f, --filename <file>', 'a YAML file (multi-document allowed; "-" for stdin); repeatable', collect)
    .option('--old <file>', 'the previous version of the objects: validate the documents as updates of it')
    .addOption(new Option('-o, --output <format>', 'also print the defaulted objects').choices(['yaml']))
    .action((opts: { filename: string[]; old?: string; output?: 'yaml' }) => {
      process.exitCode = runValidate({ files: opts.filename, old: opts.old, output: opts.output }, processIO);
    });
}
