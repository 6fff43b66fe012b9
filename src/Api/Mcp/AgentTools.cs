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
                    [Description("Continue this conversation: the thread_id of an earlier answer.")] string? thread_id = null,
                    [Description("Keep the conversation thread and return its thread_id.")] bool? keep_thread = null,
                    CancellationToken cancellationToken = default) =>
                    AgentAnswerResponse.From(await mediator.Send(new AskAgent(agentName, query, thread_id, keep_thread), cancellationToken)),
                new McpServerToolCreateOptions
                {
                    // Lets the SDK tell the IMediator parameter (resolved per call, scoped) from the tool's arguments.
                    Services = _services,
                    Name = ToolName(agentName),
                    Title = $"Ask the '{agentName}' agent",
                    Description = $"Ask the Azure AI Foundry agent '{agentName}'. Returns its answer and numbered citations.",
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
