using System.ComponentModel;
using MediatR;
using ModelContextProtocol.Server;
using Wrapper.Api.Contracts;
using Wrapper.Api.Health;
using Wrapper.Application.Completion;
using Wrapper.Application.Grounding;

namespace Wrapper.Api.Mcp;

/// <summary>The MCP tools that mirror the REST endpoints (<c>chat</c>, <c>complete</c>, <c>bing_grounding</c>,
/// <c>health</c>): each takes the same contract and sends the same request as its controller; failures become tool
/// errors in <see cref="McpToolErrors"/>. The <c>ask_agent_*</c> tools are <see cref="AgentToolsSetup"/>'s.</summary>
[McpServerToolType]
public sealed class EndpointTools(IMediator mediator, HealthReportQuery health)
{
    [McpServerTool(Name = "chat", Title = "Chat", ReadOnly = true, OpenWorld = false, UseStructuredContent = true)]
    [Description("Continue a conversation with the Azure OpenAI model. Send the whole conversation, oldest message first; the answer is the assistant's next message with token usage.")]
    public async Task<CompletionResponse> Chat(
        [Description("The conversation, oldest first (1-100 messages). When none has the role 'system', the configured system prompt is put first.")]
        ChatMessageRequest[] messages,
        CancellationToken cancellationToken) =>
        // The message contract of POST /chat, turned into the application request the same way.
        CompletionResponse.From(await mediator.Send(new ChatRequest { Messages = messages }.ToCommand(), cancellationToken));

    [McpServerTool(Name = "complete", Title = "Complete", ReadOnly = true, OpenWorld = false, UseStructuredContent = true)]
    [Description("Answer one question with the configured system prompt.")]
    public async Task<CompletionResponse> Complete(
        [Description("The question (not blank, at most 32,000 characters by default).")] string query,
        CancellationToken cancellationToken) =>
        CompletionResponse.From(await mediator.Send(new GetCompletion(query), cancellationToken));

    [McpServerTool(Name = "bing_grounding", Title = "Bing-grounded answer", ReadOnly = true, OpenWorld = true, UseStructuredContent = true)]
    [Description("Answer a question with current web sources (Bing grounding through the Azure AI Foundry Agent Service). Returns the answer and its numbered citations.")]
    public async Task<AgentAnswerResponse> BingGrounding(
        [Description("The question (not blank, at most 32,000 characters by default).")] string query,
        [Description(AgentToolsSetup.ThreadIdDescription)] string? thread_id = null,
        [Description(AgentToolsSetup.KeepThreadDescription)] bool? keep_thread = null,
        [Description(AgentToolsSetup.ConversationIdDescription)] string? conversation_id = null,
        CancellationToken cancellationToken = default) =>
        AgentAnswerResponse.From(await mediator.Send(new AskGroundedQuestion(query, thread_id, keep_thread, conversation_id), cancellationToken));

    [McpServerTool(Name = "health", Title = "Health", ReadOnly = true, Idempotent = true, OpenWorld = false, UseStructuredContent = true)]
    [Description("Check that Azure OpenAI answers with this service's credentials, and report the Agent Service's state.")]
    public Task<HealthResponse> Health(CancellationToken cancellationToken) => health.GetAsync(cancellationToken);
}
