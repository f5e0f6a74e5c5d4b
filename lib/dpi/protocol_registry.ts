/**
 * The registry of protocol plugins: names and ids are unique, plugins are classified in
 * registration order, and attribute names (or tshark's field names) resolve to extractors.
 *
 * @module
 */
import { DpiError } from "./dpi_error.ts";
import type { AttributeExtractor, ProtocolPlugin } from "./plugin.ts";
import { TSHARK_ALIASES } from "./tshark_aliases.ts";

/**
 * The set of known protocol plugins, in classification order.
 *
 * @example
 * ```ts
 * import { ProtocolRegistry } from "@mxy/mxy/dpi";
 * import assert from "node:assert/strict";
 * const r = new ProtocolRegistry();
 * r.register({
 *   id: 1000,
 *   name: "echo",
 *   classify: (v) => v.dstPort === 7,
 *   attributes: { port: (v) => v.dstPort },
 * });
 * assert.equal(r.get("echo")?.id, 1000);
 * assert.deepEqual(r.attributeNames(), ["echo.port"]);
 * ```
 */
export class ProtocolRegistry {
  #plugins: ProtocolPlugin[] = [];
  #byName = new Map<string, ProtocolPlugin>();

  /**
   * Adds a plugin. Its name and id must be new.
   *
   * @param plugin The plugin.
   * @throws {DpiError} `bad-plugin-name` for a name that is not lower-case letters, digits and
   *   underscores; `duplicate-plugin` for a name or id already registered.
   */
  register(plugin: ProtocolPlugin): void {
    if (!/^[a-z][a-z0-9_]*$/.test(plugin.name)) {
      throw new DpiError(
        "bad-plugin-name",
        `Plugin name "${plugin.name}" must be lower-case letters, digits and underscores`,
      );
    }
    if (this.#byName.has(plugin.name)) {
      throw new DpiError("duplicate-plugin", `Plugin "${plugin.name}" is already registered`);
    }
    if (this.#plugins.some((p) => p.id === plugin.id)) {
      throw new DpiError("duplicate-plugin", `Plugin id ${plugin.id} is already registered`);
    }
    this.#plugins.push(plugin);
    this.#byName.set(plugin.name, plugin);
  }

  /**
   * Looks a plugin up by name.
   *
   * @param name The plugin's name.
   * @returns The plugin or `undefined`.
   */
  get(name: string): ProtocolPlugin | undefined {
    return this.#byName.get(name);
  }

  /**
   * All plugins in registration order.
   *
   * @returns The plugins.
   */
  list(): readonly ProtocolPlugin[] {
    return this.#plugins;
  }

  /**
   * Every attribute name (`plugin.attribute`), in registration order.
   *
   * @returns The names.
   */
  attributeNames(): string[] {
    const out: string[] = [];
    for (const p of this.#plugins) {
      for (const a of Object.keys(p.attributes)) out.push(`${p.name}.${a}`);
    }
    return out;
  }

  /**
   * Resolves `plugin.attribute` (or a tshark field name from {@linkcode TSHARK_ALIASES}) to
   * its plugin and extractor.
   *
   * @param attribute The full attribute name.
   * @returns The plugin and extractor.
   * @throws {DpiError} `unknown-attribute` when no registered plugin provides it.
   */
  resolve(attribute: string): { plugin: ProtocolPlugin; extract: AttributeExtractor } {
    if (Object.hasOwn(TSHARK_ALIASES, attribute) && !this.#has(attribute)) {
      attribute = TSHARK_ALIASES[attribute];
    }
    const dot = attribute.indexOf(".");
    const plugin = dot > 0 ? this.#byName.get(attribute.slice(0, dot)) : undefined;
    const extract = plugin?.attributes[attribute.slice(dot + 1)];
    if (!plugin || !extract || !Object.hasOwn(plugin.attributes, attribute.slice(dot + 1))) {
      throw new DpiError(
        "unknown-attribute",
        `Unknown attribute "${attribute}"; known: ${this.attributeNames().join(", ")}`,
      );
    }
    return { plugin, extract };
  }

  #has(attribute: string): boolean {
    const dot = attribute.indexOf(".");
    const plugin = dot > 0 ? this.#byName.get(attribute.slice(0, dot)) : undefined;
    return plugin !== undefined && Object.hasOwn(plugin.attributes, attribute.slice(dot + 1));
  }
}
