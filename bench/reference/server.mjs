// The reference that `./dev bench` measures caravan-server's real-time fan-out against: the same subscription
// (`onPickupChanged` with the same selection) and the same mutation (`setPickup`), served the way a Node team would
// build it: graphql-js, graphql-ws's server on the `ws` package, and an in-process pub/sub.
//
// Usage: node server.mjs <port>   (listens on 127.0.0.1; POST /graphql for the mutation, WebSocket /graphql)
import { createServer } from 'node:http';
import { buildSchema, graphql } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';

const schema = buildSchema(`
  type Product { id: ID! title: String! price: Int! currency: String! }
  type Pickup { eventId: ID! productId: ID visible: Boolean! updatedAt: String! product: Product }
  type Query { pickup(eventId: ID!): Pickup }
  type Mutation { setPickup(eventId: ID!, productId: ID, visible: Boolean!): Pickup! }
  type Subscription { onPickupChanged(eventId: ID!): Pickup! }
`);

// The demo show's twelve products.
const products = new Map(
  Array.from({ length: 12 }, (_, i) => {
    const id = `prd_demo_${String(i + 1).padStart(2, '0')}`;
    return [id, { id, title: `デモ商品 ${i + 1}`, price: 1000 + i * 100, currency: 'JPY' }];
  }),
);

// Per event, the queues of its subscribers: each subscription is an async iterator over its own queue.
const subscribers = new Map();
function subscribe(eventId) {
  const queue = [];
  let wake = null;
  const listeners = subscribers.get(eventId) ?? new Set();
  subscribers.set(eventId, listeners);
  const push = (value) => {
    if (wake) {
      wake({ value, done: false });
      wake = null;
    } else queue.push(value);
  };
  listeners.add(push);
  const end = () => {
    listeners.delete(push);
    wake?.({ value: undefined, done: true });
    return Promise.resolve({ value: undefined, done: true });
  };
  return {
    next: () => (queue.length ? Promise.resolve({ value: queue.shift(), done: false }) : new Promise((r) => (wake = r))),
    return: end,
    throw: end,
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

let current = new Map();
const root = {
  pickup: ({ eventId }) => current.get(eventId) ?? null,
  setPickup: ({ eventId, productId, visible }) => {
    const pickup = {
      eventId,
      productId: productId ?? null,
      visible,
      updatedAt: new Date().toISOString(),
      product: (productId && products.get(productId)) || null,
    };
    current.set(eventId, pickup);
    for (const push of subscribers.get(eventId) ?? []) push({ onPickupChanged: pickup });
    return pickup;
  },
  onPickupChanged: ({ eventId }) => subscribe(eventId),
};

const http = createServer((request, response) => {
  if (request.method !== 'POST' || request.url !== '/graphql') {
    response.writeHead(request.url === '/healthz' ? 200 : 404).end();
    return;
  }
  let body = '';
  request.on('data', (chunk) => (body += chunk));
  request.on('end', async () => {
    const { query, variables } = JSON.parse(body);
    const result = await graphql({ schema, source: query, rootValue: root, variableValues: variables });
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(result));
  });
});

const sockets = new WebSocketServer({ server: http, path: '/graphql' });
useServer(
  {
    schema,
    roots: { query: root, mutation: root, subscription: { onPickupChanged: root.onPickupChanged } },
  },
  sockets,
);

http.listen(Number(process.argv[2]), '127.0.0.1');
