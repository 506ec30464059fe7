/** A request of the Kasa JSON dialect: `{"<module>": {"<method>": <args>}}`, several at once, maybe a `context`. */
export type Request = Record<string, unknown>;
/** A reply mirrors its request's modules and methods, each with its own `err_code`. */
export type Reply = Record<string, unknown>;
