// Neither package ships type declarations; the bench uses a small part of each, untyped.
declare module 'autocannon';
declare module 'oidc-provider';
