// jsfive ships no types; src/io/kerasFile.ts declares what it uses of it.
declare module 'jsfive';
