import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { context, propagation, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import { z } from 'zod';
import type { RuntimeConfig } from './config.js';
import type { RuntimeMetrics } from './metrics.js';

const tracer = trace.getTracer('agent-runtime-ts');

/** Body of `POST /v1/agents/:id/invoke`. */
export const invokeRequestSchema = z.strictObject({
  /** The user's input. */
  input: z.string().min(1).max(100_000),
  /** Tools the agent calls, in order. */
  tools: z.array(z.string().regex(/^[a-z0-9][-a-z0-9_]{0,62}$/)).max(16).default([]),
  /** Overrides the stub's latency for this request (load tests, drain tests). */
  latencyMs: z.number().int().min(0).max(120_000).optional(),
});

export type InvokeRequest = z.output<typeof invokeRequestSchema>;

export interface InvokeResult {
  readonly agent: string;
  readonly output: string;
  readonly model: string;
  readonly usage: { readonly inputTokens: number; readonly outputTokens: number };
  readonly toolCalls: readonly { readonly tool: string; readonly ok: boolean }[];
}

/** A tool call failed; the request answers 502. */
export class ToolFailure extends Error {
  constructor(readonly tool: string) {
    super(`tool ${tool} failed`);
  }
}

/** The LLM endpoint answered with an error or not at all; the request answers 502. */
export class LlmFailure extends Error {}

// Whitespace-separated words: the stub's deterministic token count.
const words = (s: string) => s.split(/\s+/).filter((w) => w.length > 0).length;

/**
 * The agent: a deterministic stub (same input, same output and usage) that
 * waits the configured latency, or, with `LLM_BASE_URL` set, one call to an
 * OpenAI-compatible chat completions endpoint. Tools are simulated; those in
 * `AGENT_FAILING_TOOLS` fail.
 */
export class Agent {
  constructor(
    private readonly config: RuntimeConfig,
    private readonly metrics: RuntimeMetrics,
  ) {}

  /** Serves one invocation of agent `id`. */
  async invoke(id: string, req: InvokeRequest): Promise<InvokeResult> {
    return tracer.startActiveSpan(`invoke_agent ${id}`, { attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.id': id } }, async (span) => {
      try {
        const toolCalls: { tool: string; ok: boolean }[] = [];
        for (const tool of req.tools) toolCalls.push(this.callTool(id, tool));
        const reply = this.config.llm ? await this.callLlm(req.input) : await this.stub(id, req);
        const model = this.config.llm?.model ?? 'stub';
        this.metrics.llmTokens.inc({ agent: id, model, type: 'input' }, reply.inputTokens);
        this.metrics.llmTokens.inc({ agent: id, model, type: 'output' }, reply.outputTokens);
        span.setAttributes({ 'gen_ai.usage.input_tokens': reply.inputTokens, 'gen_ai.usage.output_tokens': reply.outputTokens });
        const failed = toolCalls.find((c) => !c.ok);
        if (failed) throw new ToolFailure(failed.tool);
        return { agent: id, output: reply.output, model, usage: { inputTokens: reply.inputTokens, outputTokens: reply.outputTokens }, toolCalls };
      } catch (err) {
        span.recordException(err as Error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
        throw err;
      } finally {
        span.end();
      }
    });
  }

  private callTool(agent: string, tool: string): { tool: string; ok: boolean } {
    const span = tracer.startSpan(`execute_tool ${tool}`, { attributes: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': tool } });
    this.metrics.toolCalls.inc({ agent, tool });
    const ok = !this.config.agent.failingTools.includes(tool);
    if (!ok) {
      this.metrics.toolFailures.inc({ agent, tool });
      span.setStatus({ code: SpanStatusCode.ERROR, message: 'tool failed' });
    }
    span.end();
    return { tool, ok };
  }

  private async stub(id: string, req: InvokeRequest): Promise<{ output: string; inputTokens: number; outputTokens: number }> {
    await sleep(req.latencyMs ?? this.config.agent.latencyMs);
    const digest = createHash('sha256').update(`${id}\n${req.input}`).digest('hex').slice(0, 12);
    const output = `${id} received ${words(req.input)} words (${digest})`;
    return { output, inputTokens: words(req.input), outputTokens: words(output) };
  }

  private async callLlm(input: string): Promise<{ output: string; inputTokens: number; outputTokens: number }> {
    const llm = this.config.llm!;
    return tracer.startActiveSpan(`chat ${llm.model}`, { kind: SpanKind.CLIENT, attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': llm.model } }, async (span: Span) => {
      try {
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (llm.apiKey) headers.authorization = `Bearer ${llm.apiKey}`;
        propagation.inject(context.active(), headers);
        const base = llm.baseUrl.href.replace(/\/+$/, '');
        const res = await fetch(`${base}/chat/completions`, {
          method: 'POST',
          headers,
          body: JSON.stringify({ model: llm.model, messages: [{ role: 'user', content: input }] }),
          signal: AbortSignal.timeout(llm.timeoutMs),
        }).catch((err: Error) => {
          throw new LlmFailure(`LLM request failed: ${err.message}`);
        });
        span.setAttribute('http.response.status_code', res.status);
        if (!res.ok) throw new LlmFailure(`LLM answered ${res.status}`);
        const body = llmResponseSchema.safeParse(await res.json().catch(() => undefined));
        if (!body.success) throw new LlmFailure('LLM answered an unexpected body');
        const output = body.data.choices[0]?.message.content ?? '';
        return { output, inputTokens: body.data.usage.prompt_tokens, outputTokens: body.data.usage.completion_tokens };
      } catch (err) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
        throw err;
      } finally {
        span.end();
      }
    });
  }
}

const llmResponseSchema = z.object({
  choices: z.array(z.object({ message: z.object({ content: z.string().nullable().transform((c) => c ?? '') }) })),
  usage: z.object({ prompt_tokens: z.number().int().min(0), completion_tokens: z.number().int().min(0) }),
});
