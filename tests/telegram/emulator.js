// Starts the telegram-test-api Bot API emulator on 127.0.0.1:PORT until killed.
// Usage: node emulator.js PORT   (NODE_PATH points at the installed package)
const TelegramServer = require('telegram-test-api');

const port = Number(process.argv[2]);
const server = new TelegramServer({ port, host: '127.0.0.1', storeTimeout: 600 });
server.start().then(() => console.log(`listening ${port}`));
const stop = () => server.stop().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
