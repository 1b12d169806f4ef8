"use strict";
/**
 * A module that loads on first use. @pulumi/pulumi requires the TypeScript compiler and npm's
 * Arborist at start-up, for closure serialization (pulumi.runtime.serializeFunction), which
 * nothing here uses: about 0.5 s of every test file's start. jest.config.js maps the two requests
 * to the stand-ins in this folder; any use still gets the real module.
 */
module.exports = function lazy(load) {
    let loaded;
    const real = () => (loaded ??= load());
    return new Proxy(
        {},
        {
            get(_target, key) {
                // An ES-module interop helper (__importStar/__importDefault) asks this first: answer
                // without loading, and hand out the module itself as its default export.
                if (key === "__esModule") return true;
                const mod = real();
                return key === "default" && !mod.__esModule ? mod : mod[key];
            },
            has: (_target, key) => key in real(),
            ownKeys: () => Reflect.ownKeys(real()),
            getOwnPropertyDescriptor: (_target, key) => {
                const d = Object.getOwnPropertyDescriptor(real(), key);
                return d && { ...d, configurable: true };
            },
        },
    );
};
