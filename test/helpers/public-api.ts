/**
 * Compiler-API checks of a public entry (generated protobuf types must never reach the public API):
 *
 * - {@link inspectModule}: the entry's export names, and every generated protobuf type (declared under
 *   src/gen) that an exported declaration reaches. Every exported symbol's type is walked — properties,
 *   call and construct signatures (parameters, return types, type parameters), index signatures, type
 *   arguments, union/intersection members, base types — skipping what declaration emit leaves out
 *   (private and `#private` members, private constructors, and `@internal` declarations, which the build
 *   strips with `stripInternal`); the type annotations are also scanned as
 *   written, so references the checker reduces away (`Code | number`) are caught.
 * - {@link undocumentedExports}: exported symbols without a doc comment.
 *
 * In-memory probe modules count as own sources, so tests can show that a check can fail.
 */
import assert from 'node:assert/strict';
import { join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

export const ROOT = resolve(import.meta.dirname, '..', '..');
const SRC = join(ROOT, 'src') + sep;
const GEN = join(ROOT, 'src', 'gen') + sep;
/** In-memory modules of the programs created here; they count as own sources. */
const VIRTUAL = new Set<string>();

function norm(file: string): string {
  return resolve(file);
}

/** A program over published declaration files (`.d.ts` entries of a built package). */
export function createDeclarationProgram(entries: readonly string[]): ts.Program {
  return ts.createProgram({
    rootNames: [...entries],
    options: {
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      target: ts.ScriptTarget.ES2022,
      strict: true,
      skipLibCheck: true,
      noEmit: true,
      types: ['node'],
      typeRoots: [join(ROOT, 'node_modules', '@types')],
    },
  });
}

/**
 * A program over `entries` with the repository's tsconfig; `virtual` adds in-memory modules (absolute
 * path → source), e.g. probes that must be caught.
 */
export function createApiProgram(
  entries: readonly string[],
  virtual: Readonly<Record<string, string>> = {},
): ts.Program {
  const files = new Map(Object.entries(virtual).map(([f, text]) => [norm(f), text]));
  for (const f of files.keys()) VIRTUAL.add(f);
  const configPath = join(ROOT, 'tsconfig.json');
  const config = ts.readConfigFile(configPath, ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, ROOT, { noEmit: true }, configPath);
  const host = ts.createCompilerHost(parsed.options, true);
  const { fileExists, readFile, getSourceFile } = host;
  host.fileExists = (f) => files.has(norm(f)) || fileExists.call(host, f);
  host.readFile = (f) => files.get(norm(f)) ?? readFile.call(host, f);
  host.getSourceFile = (f, languageVersion, onError, shouldCreate) => {
    const text = files.get(norm(f));
    return text !== undefined
      ? ts.createSourceFile(f, text, languageVersion, true)
      : getSourceFile.call(host, f, languageVersion, onError, shouldCreate);
  };
  return ts.createProgram({ rootNames: [...entries, ...files.keys()], options: parsed.options, host });
}

/** Tagged `@internal`: removed from the published declarations by `stripInternal` (tsconfig.build.json). */
function isInternal(node: ts.Node): boolean {
  return ts.getJSDocTags(node).some((t) => t.tagName.text === 'internal');
}

function isPrivateMember(symbol: ts.Symbol): boolean {
  return (symbol.declarations ?? []).some(
    (d) =>
      (ts.getCombinedModifierFlags(d) & ts.ModifierFlags.Private) !== 0 ||
      isInternal(d) ||
      ((ts.isPropertyDeclaration(d) ||
        ts.isMethodDeclaration(d) ||
        ts.isGetAccessor(d) ||
        ts.isSetAccessor(d)) &&
        ts.isPrivateIdentifier(d.name)),
  );
}

/**
 * Exported names of a module and the generated types its public declarations reach. `dirs` says where
 * this project's declarations live and which of them are generated (by default src/ and src/gen/; for a
 * built package, its dist/esm/ and dist/esm/gen/).
 */
export function inspectModule(
  program: ts.Program,
  file: string,
  dirs: { readonly own: string; readonly gen: string } = { own: SRC, gen: GEN },
): { exports: string[]; leaks: string[] } {
  const OWN = dirs.own.endsWith(sep) ? dirs.own : dirs.own + sep;
  const GEN_DIR = dirs.gen.endsWith(sep) ? dirs.gen : dirs.gen + sep;
  const checker = program.getTypeChecker();
  const sourceFile = program.getSourceFile(file);
  assert.ok(sourceFile, `${file} is part of the program`);
  const moduleSymbol = checker.getSymbolAtLocation(sourceFile);
  assert.ok(moduleSymbol, `${file} is a module`);
  const leaks = new Set<string>();
  const seenTypes = new Set<ts.Type>();
  const seenSymbols = new Set<ts.Symbol>();

  const fileOf = (d: ts.Node): string => norm(d.getSourceFile().fileName);
  const isGen = (d: ts.Node): boolean => fileOf(d).startsWith(GEN_DIR);
  /** Only declarations of this project are walked into; library types (Promise, Uint8Array…) are not. */
  const isOwn = (d: ts.Node): boolean => fileOf(d).startsWith(OWN) || VIRTUAL.has(fileOf(d));

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
      if (isInternal(node)) return;
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
    if (decl !== undefined && isInternal(decl)) return;
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

/** Exported names of `file` whose declarations carry no doc comment (JSDoc/TSDoc). */
export function undocumentedExports(program: ts.Program, file: string): string[] {
  const checker = program.getTypeChecker();
  const sourceFile = program.getSourceFile(file);
  assert.ok(sourceFile, `${file} is part of the program`);
  const moduleSymbol = checker.getSymbolAtLocation(sourceFile);
  assert.ok(moduleSymbol, `${file} is a module`);
  const missing: string[] = [];
  for (const exported of checker.getExportsOfModule(moduleSymbol)) {
    const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    const documented = (symbol.declarations ?? []).some((d) => {
      const node = ts.isVariableDeclaration(d) ? d.parent.parent : d;
      return ts.getJSDocCommentsAndTags(node).length > 0;
    });
    if (!documented) missing.push(exported.name);
  }
  return missing.sort();
}
