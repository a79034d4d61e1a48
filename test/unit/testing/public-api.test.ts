/**
 * The public surface of `rocketmq-ts/testing` (entry src/testing/index.ts):
 *
 * - the runtime export list and the full (runtime + type) export list are pinned, so adding or removing a
 *   public symbol is a deliberate change here;
 * - no exported declaration reaches a generated protobuf type (style guide §5, convention 8). A TypeScript
 *   program is built over the entry and every exported symbol's type is walked — properties, call and
 *   construct signatures (parameters, return types, type parameters), index signatures, type arguments,
 *   union/intersection members, base types — skipping what declaration emit leaves out (private and
 *   `#private` members, private constructors). Any type declared under src/gen is a leak. A probe module
 *   that does leak gen types is checked alongside, so the walk is shown to be able to fail.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { before, describe, test } from 'node:test';
import ts from 'typescript';
import * as testing from '../../../src/testing/index.js';

const ROOT = resolve(import.meta.dirname, '..', '..', '..');
const SRC = join(ROOT, 'src') + sep;
const GEN = join(ROOT, 'src', 'gen') + sep;
const ENTRY = join(ROOT, 'src', 'testing', 'index.ts');
/** A module that exists only in memory and deliberately exposes generated types. */
const PROBE = join(ROOT, 'src', 'testing', '__gen-leak-probe__.ts');
const PROBE_SOURCE = `
import type { Code, Settings } from '../gen/apache/rocketmq/v2/definition_pb.js';
export type { Settings } from '../gen/apache/rocketmq/v2/definition_pb.js';
export interface Failure { readonly code?: Code | number }
interface Inner { readonly codes: Array<Code> }
export interface Nested { readonly inner: { readonly list: ReadonlyArray<Inner> } }
export declare function replies(): Promise<Array<import('../gen/apache/rocketmq/v2/service_pb.js').TelemetryCommand>>;
export declare function take(cb: (s: Settings) => void): void;
export declare class Hidden {
  private constructor(code: Code);
  #secret: Code;
  private internal: Settings;
  visible(): number;
}
export type Clean = { readonly n: number; readonly s: readonly string[] };
`;

function norm(file: string): string {
  return resolve(file);
}

function createProgram(): ts.Program {
  const configPath = join(ROOT, 'tsconfig.json');
  const config = ts.readConfigFile(configPath, ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, ROOT, { noEmit: true }, configPath);
  const host = ts.createCompilerHost(parsed.options, true);
  const { fileExists, readFile, getSourceFile } = host;
  host.fileExists = (f) => norm(f) === PROBE || fileExists.call(host, f);
  host.readFile = (f) => (norm(f) === PROBE ? PROBE_SOURCE : readFile.call(host, f));
  host.getSourceFile = (f, languageVersion, onError, shouldCreate) =>
    norm(f) === PROBE
      ? ts.createSourceFile(f, PROBE_SOURCE, languageVersion, true)
      : getSourceFile.call(host, f, languageVersion, onError, shouldCreate);
  return ts.createProgram({ rootNames: [ENTRY, PROBE], options: parsed.options, host });
}

function isPrivateMember(symbol: ts.Symbol): boolean {
  return (symbol.declarations ?? []).some(
    (d) =>
      (ts.getCombinedModifierFlags(d) & ts.ModifierFlags.Private) !== 0 ||
      ((ts.isPropertyDeclaration(d) ||
        ts.isMethodDeclaration(d) ||
        ts.isGetAccessor(d) ||
        ts.isSetAccessor(d)) &&
        ts.isPrivateIdentifier(d.name)),
  );
}

/** Exported names of a module and the generated types its public declarations reach. */
function inspectModule(program: ts.Program, file: string): { exports: string[]; leaks: string[] } {
  const checker = program.getTypeChecker();
  const sourceFile = program.getSourceFile(file);
  assert.ok(sourceFile, `${file} is part of the program`);
  const moduleSymbol = checker.getSymbolAtLocation(sourceFile);
  assert.ok(moduleSymbol, `${file} is a module`);
  const leaks = new Set<string>();
  const seenTypes = new Set<ts.Type>();
  const seenSymbols = new Set<ts.Symbol>();

  const fileOf = (d: ts.Node): string => norm(d.getSourceFile().fileName);
  const isGen = (d: ts.Node): boolean => fileOf(d).startsWith(GEN);
  /** Only declarations of this project are walked into; library types (Promise, Uint8Array…) are not. */
  const isOwn = (d: ts.Node): boolean => fileOf(d).startsWith(SRC) || fileOf(d) === PROBE;

  const checkDeclarations = (symbol: ts.Symbol | undefined, path: string): boolean => {
    const gen = (symbol?.declarations ?? []).find(isGen);
    if (gen === undefined) return false;
    leaks.add(`${path}: ${symbol?.name} (${relative(ROOT, fileOf(gen)).replaceAll('\\', '/')})`);
    return true;
  };

  const seenNodes = new Set<ts.Node>();
  /** The symbol a type-position name refers to (through import aliases). */
  const resolveName = (name: ts.Node): ts.Symbol | undefined => {
    const sym = checker.getSymbolAtLocation(name);
    return sym !== undefined && sym.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(sym) : sym;
  };
  const onReference = (symbol: ts.Symbol | undefined, path: string): void => {
    if (symbol === undefined || checkDeclarations(symbol, path)) return;
    if ((symbol.declarations ?? []).some(isOwn)) visitSymbol(symbol, `${path} → ${symbol.name}`);
  };
  /**
   * Scans the type annotations of a declaration as written (what declaration emit copies into the .d.ts):
   * catches references the type system reduces away, e.g. `Code | number` is just `number` to the checker.
   * Function bodies, initializers and private members are skipped.
   */
  const scanDeclaration = (node: ts.Node, path: string): void => {
    if (seenNodes.has(node)) return;
    seenNodes.add(node);
    if (ts.isBlock(node)) return;
    if (ts.isClassElement(node) || ts.isTypeElement(node)) {
      if ((ts.getCombinedModifierFlags(node as ts.Declaration) & ts.ModifierFlags.Private) !== 0) return;
      if (node.name !== undefined && ts.isPrivateIdentifier(node.name)) return;
      if (node.name !== undefined) path = `${path}.${node.name.getText()}`;
    }
    if (ts.isTypeReferenceNode(node)) onReference(resolveName(node.typeName), path);
    else if (ts.isExpressionWithTypeArguments(node)) onReference(resolveName(node.expression), path);
    else if (ts.isTypeQueryNode(node)) onReference(resolveName(node.exprName), path);
    else if (ts.isImportTypeNode(node)) {
      const t = checker.getTypeFromTypeNode(node);
      onReference(t.aliasSymbol ?? t.getSymbol(), path);
    }
    if (ts.isPropertyDeclaration(node) || ts.isParameter(node) || ts.isVariableDeclaration(node)) {
      if (node.type !== undefined) scanDeclaration(node.type, path);
      return;
    }
    if (ts.isArrowFunction(node) || ts.isFunctionExpression(node)) return;
    ts.forEachChild(node, (child) => scanDeclaration(child, path));
  };
  const scanOwnDeclarations = (symbol: ts.Symbol | undefined, path: string): void => {
    for (const d of symbol?.declarations ?? []) if (isOwn(d)) scanDeclaration(d, path);
  };

  const visitSignature = (sig: ts.Signature, path: string): void => {
    const decl = sig.getDeclaration() as ts.SignatureDeclaration | undefined;
    if (decl !== undefined && (ts.getCombinedModifierFlags(decl) & ts.ModifierFlags.Private) !== 0) return;
    for (const tp of sig.getTypeParameters() ?? []) {
      const c = tp.getConstraint();
      if (c !== undefined) visitType(c, `${path}<${tp.symbol.name}>`);
    }
    for (const p of sig.getParameters()) visitType(checker.getTypeOfSymbol(p), `${path}(${p.name})`);
    visitType(sig.getReturnType(), `${path} return`);
  };

  const visitType = (type: ts.Type, path: string): void => {
    if (seenTypes.has(type)) return;
    seenTypes.add(type);
    if (type.aliasSymbol !== undefined) {
      if (checkDeclarations(type.aliasSymbol, path)) return;
      for (const a of type.aliasTypeArguments ?? []) visitType(a, `${path}<>`);
    }
    scanOwnDeclarations(type.aliasSymbol, path);
    const symbol = type.getSymbol();
    if (checkDeclarations(symbol, path)) return;
    scanOwnDeclarations(symbol, path);
    if (type.isUnionOrIntersection()) {
      for (const t of type.types) visitType(t, path);
      return;
    }
    if (type.flags & ts.TypeFlags.Index) visitType((type as ts.IndexType).type, path);
    if (type.flags & ts.TypeFlags.IndexedAccess) {
      visitType((type as ts.IndexedAccessType).objectType, path);
      visitType((type as ts.IndexedAccessType).indexType, path);
    }
    if (type.flags & ts.TypeFlags.TypeParameter) {
      const c = (type as ts.TypeParameter).getConstraint();
      if (c !== undefined) visitType(c, path);
      return;
    }
    if (!(type.flags & ts.TypeFlags.Object)) return;
    const objectType = type as ts.ObjectType;
    if (objectType.objectFlags & ts.ObjectFlags.Reference) {
      for (const a of checker.getTypeArguments(objectType as ts.TypeReference)) visitType(a, `${path}<>`);
    }
    const decls = symbol?.declarations ?? [];
    if (decls.length > 0 && !decls.some(isOwn)) return;
    for (const base of type.isClassOrInterface() ? (checker.getBaseTypes(type) ?? []) : []) {
      visitType(base, `${path} extends`);
    }
    for (const prop of checker.getPropertiesOfType(type)) {
      if (isPrivateMember(prop)) continue;
      visitType(checker.getTypeOfSymbol(prop), `${path}.${prop.name}`);
    }
    for (const sig of type.getCallSignatures()) visitSignature(sig, `${path}()`);
    for (const sig of type.getConstructSignatures()) visitSignature(sig, `new ${path}()`);
    for (const info of checker.getIndexInfosOfType(type)) {
      visitType(info.keyType, `${path}[key]`);
      visitType(info.type, `${path}[]`);
    }
  };

  function visitSymbol(exported: ts.Symbol, path = exported.name): void {
    const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    if (seenSymbols.has(symbol)) return;
    seenSymbols.add(symbol);
    if (checkDeclarations(symbol, path)) return;
    scanOwnDeclarations(symbol, path);
    if (symbol.flags & (ts.SymbolFlags.Class | ts.SymbolFlags.Interface | ts.SymbolFlags.TypeAlias)) {
      visitType(checker.getDeclaredTypeOfSymbol(symbol), path);
    }
    if (symbol.flags & ts.SymbolFlags.Value) visitType(checker.getTypeOfSymbol(symbol), `typeof ${path}`);
  }

  const exports = checker.getExportsOfModule(moduleSymbol);
  for (const e of exports) visitSymbol(e, e.name);
  return { exports: exports.map((e) => e.name).sort(), leaks: [...leaks].sort() };
}

describe('rocketmq-ts/testing public API', () => {
  let program: ts.Program;
  before(() => {
    program = createProgram();
  });

  test('runtime exports are exactly the curated list', () => {
    assert.deepEqual(Object.keys(testing).sort(), ['InProcessBroker', 'ManualTime', 'RPC_NAMES']);
  });

  test('all exports (runtime and type-only) are exactly the curated list', () => {
    assert.deepEqual(inspectModule(program, ENTRY).exports, [
      'AclCredential',
      'BackoffPolicySummary',
      'BrokerCommand',
      'BrokerFaults',
      'BrokerStats',
      'ClientSettingsSummary',
      'ClientTypeName',
      'ConsumerGroupOptions',
      'InProcessBroker',
      'InProcessBrokerOptions',
      'InjectedFailure',
      'MalformedKind',
      'ManualTime',
      'PlainMessage',
      'PlainMessageType',
      'RPC_NAMES',
      'ReplyStatus',
      'RetryPolicyConfig',
      'RpcName',
      'SubscriptionSummary',
      'TelemetryReply',
      'TelemetryReplyType',
      'TopicMessageType',
      'TopicOptions',
      'UserAgentSummary',
    ]);
  });

  test('no exported declaration reaches a generated (src/gen) type', () => {
    assert.deepEqual(inspectModule(program, ENTRY).leaks, []);
  });

  test('the check detects gen types (probe module), and skips what declaration emit omits', () => {
    const { leaks } = inspectModule(program, PROBE);
    const leaked = (prefix: string, genName: string): boolean =>
      leaks.some((l) => l.startsWith(prefix) && l.includes(`: ${genName} (src/gen/`));
    const report = `leaks found:\n${leaks.join('\n')}`;
    assert.ok(leaked('Settings', 'Settings'), report); // direct re-export
    assert.ok(leaked('Failure', 'Code'), report); // `Code | number`: only visible as written
    assert.ok(leaked('Nested', 'Code'), report); // through a nested array of a non-exported interface
    assert.ok(leaked('replies', 'TelemetryCommand') || leaked('typeof replies', 'TelemetryCommand'), report);
    assert.ok(leaked('take', 'Settings') || leaked('typeof take', 'Settings'), report); // callback parameter
    assert.ok(!leaks.some((l) => /Hidden|Clean/.test(l)), report); // private members / plain types
  });

  test('the entry source has no direct gen re-export', () => {
    assert.ok(existsSync(ENTRY));
    assert.doesNotMatch(readFileSync(ENTRY, 'utf8'), /from\s+['"][^'"]*\/gen\//);
  });
});
