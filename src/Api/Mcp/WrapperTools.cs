using System.ComponentModel;
using System.Text.Json.Serialization;
using MediatR;
using ModelContextProtocol.Server;
using Wrapper.Api.Contracts;
using Wrapper.Api.Simulation;
using Wrapper.Application.Agents;
using Wrapper.Application.Chat;
using Wrapper.Application.Completion;
using Wrapper.Application.Grounding;
using Wrapper.Application.Health;

namespace Wrapper.Api.Mcp;

/// <summary>The MCP tools: each sends the same MediatR request as its REST controller; failures become tool
/// errors in <see cref="McpToolErrors"/>.</summary>
[McpServerToolType]
public sealed class WrapperTools
{
    private readonly IMediator _mediator;
    private readonly SimulatedSides _simulated;

    public WrapperTools(IMediator mediator, SimulatedSides simulated)
    {
        _mediator = mediator;
        _simulated = simulated;
    }

    [McpServerTool(Name = "chat", Title = "Chat", ReadOnly = true, OpenWorld = false, UseStructuredContent = true)]
    [Description("Continue a conversation with the Azure OpenAI model. Send the whole conversation, oldest message first; the answer is the assistant's next message with token usage.")]
    public async Task<CompletionResponse> Chat(
        [Description("The conversation, oldest first (1-100 messages). When none has the role 'system', the configured system prompt is put first.")]
        McpChatMessage[] messages,
        CancellationToken cancellationToken)
    {
        var command = new CompleteChat(messages?.Select(m => new ChatMessageInput(m?.Role, m?.Content)).ToList());
        return CompletionResponse.From(await _mediator.Send(command, cancellationToken));
    }

    [McpServerTool(Name = "complete", Title = "Complete", ReadOnly = true, OpenWorld = false, UseStructuredContent = true)]
    [Description("Answer one question with the configured system prompt.")]
    public async Task<CompletionResponse> Complete(
        [Description("The question (not blank, at most 32,000 characters by default).")] string query,
        CancellationToken cancellationToken) =>
        CompletionResponse.From(await _mediator.Send(new GetCompletion(query), cancellationToken));

    [McpServerTool(Name = "bing_grounding", Title = "Bing-grounded answer", ReadOnly = true, OpenWorld = true, UseStructuredContent = true)]
    [Description("Answer a question with current web sources (Bing grounding through the Azure AI Foundry Agent Service). Returns the answer and its numbered citations.")]
    public async Task<AgentAnswerResponse> BingGrounding(
        [Description("The question (not blank, at most 32,000 characters by default).")] string query,
        [Description("Continue this conversation: the thread_id of an earlier answer.")] string? thread_id = null,
        [Description("Keep the conversation thread and return its thread_id (default: true when thread_id is given, else false).")] bool? keep_thread = null,
        CancellationToken cancellationToken = default) =>
        AgentAnswerResponse.From(await _mediator.Send(new AskGroundedQuestion(query, thread_id, keep_thread), cancellationToken));

    [McpServerTool(Name = "health", Title = "Health", ReadOnly = true, Idempotent = true, OpenWorld = false, UseStructuredContent = true)]
    [Description("Check that Azure OpenAI answers with this service's credentials, and report the Agent Service's state.")]
    public async Task<HealthResponse> Health(CancellationToken cancellationToken)
    {
        await _mediator.Send(new CheckHealth(), cancellationToken);
        var agents = await _mediator.Send(new CheckAgentService(), cancellationToken);
        return new HealthResponse
        {
            AzureOpenAi = _simulated.OpenAIStatus,
            AgentService = _simulated.AgentServiceStatusOf(agents),
        };
    }
}

/// <summary>One message of a conversation passed to the <c>chat</c> tool.</summary>
public sealed class McpChatMessage
{
    [JsonPropertyName("role")]
    [Description("'system', 'user' or 'assistant'.")]
    public string? Role { get; init; }

    [JsonPropertyName("content")]
    [Description("The message text (not blank, at most 32,000 characters by default).")]
    public string? Content { get; init; }
}
