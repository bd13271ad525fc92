export { BullMQQueue, type BullMQQueueOptions } from './bullmq-queue.js';
