using System.ComponentModel;
using MediatR;
using Microsoft.Extensions.Options;
using ModelContextProtocol.Server;
using Wrapper.Api.Contracts;
using Wrapper.Application.Agents;
using Wrapper.Application.Common.Interfaces;

namespace Wrapper.Api.Mcp;

/// <summary>One <c>ask_agent_&lt;name&gt;</c> tool per agent the gateway knows, each sending <see cref="AskAgent"/>.</summary>
public sealed class AgentToolsSetup : IConfigureOptions<McpServerOptions>
{
    public const string Prefix = "ask_agent_";

    // The conversation arguments of every agent tool (these and bing_grounding), described once.
    internal const string ThreadIdDescription =
        "Continue this conversation: the thread_id of an earlier answer (agents on the classic protocol).";

    internal const string ConversationIdDescription =
        "Continue this conversation: the conversation_id of an earlier answer (agents on the new protocol). Send thread_id or conversation_id, whichever the earlier answer carried, never both.";

    internal const string KeepThreadDescription =
        "Keep the conversation and return its thread_id or conversation_id (default: true when continuing one, else false; false ends it).";

    private readonly IAgentGateway _agents;
    private readonly IServiceProvider _services;

    public AgentToolsSetup(IAgentGateway agents, IServiceProvider services)
    {
        _agents = agents;
        _services = services;
    }

    public void Configure(McpServerOptions options)
    {
        options.ToolCollection ??= [];
        foreach (var name in _agents.AgentNames.Order(StringComparer.Ordinal))
        {
            var agentName = name;
            options.ToolCollection.Add(McpServerTool.Create(
                async (IMediator mediator,
                    [Description("The question (not blank, at most 32,000 characters by default).")] string query,
                    [Description(ThreadIdDescription)] string? thread_id = null,
                    [Description(KeepThreadDescription)] bool? keep_thread = null,
                    [Description(ConversationIdDescription)] string? conversation_id = null,
                    CancellationToken cancellationToken = default) =>
                    AgentAnswerResponse.From(await mediator.Send(new AskAgent(agentName, query, thread_id, keep_thread, conversation_id), cancellationToken)),
                new McpServerToolCreateOptions
                {
                    // Lets the SDK tell the IMediator parameter (resolved per call, scoped) from the tool's arguments.
                    Services = _services,
                    Name = ToolName(agentName),
                    Title = $"Ask the '{agentName}' agent",
                    Description = $"Ask the Azure AI Foundry agent '{agentName}'. Returns its answer and numbered citations, and thread_id or conversation_id when the conversation is kept.",
                    ReadOnly = true,
                    OpenWorld = true,
                    UseStructuredContent = true,
                }));
        }
    }

    /// <summary><c>ask_agent_</c> + the agent's name with characters outside [A-Za-z0-9_] as <c>_</c>.</summary>
    public static string ToolName(string agentName) =>
        Prefix + new string(agentName.Select(c => char.IsAsciiLetterOrDigit(c) ? char.ToLowerInvariant(c) : '_').ToArray());
}
