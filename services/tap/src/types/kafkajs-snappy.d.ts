declare module 'kafkajs-snappy' {
  const SnappyCodec: () => unknown;
  export default SnappyCodec;
}
