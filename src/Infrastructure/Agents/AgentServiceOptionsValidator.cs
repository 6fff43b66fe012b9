using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using Wrapper.Domain.Agents;

namespace Wrapper.Infrastructure.Agents;

/// <summary>Checks <see cref="AgentServiceOptions"/> at start; every message names the setting to fix (values that are not
/// numbers at all are reported by <see cref="Configuration.AliasedBinding{TOptions}"/>). No endpoint is valid (the agent
/// endpoints then answer 503 and /health reports <c>not_configured</c>).</summary>
public sealed partial class AgentServiceOptionsValidator : IValidateOptions<AgentServiceOptions>
{
    public ValidateOptionsResult Validate(string? name, AgentServiceOptions options)
    {
        var errors = new List<string>();
        if (options.Endpoint is { IsAbsoluteUri: false })
        {
            errors.Add($"{AgentServiceOptions.EndpointKey} must be an absolute https URL, e.g. " +
                       "https://my-resource.services.ai.azure.com/api/projects/my-project.");
        }
        else if (options.Endpoint is { } endpoint && endpoint is not { Scheme: "https", Host.Length: > 0 })
        {
            // Azure.Core's bearer-token policy refuses to send a token over plain http.
            errors.Add($"{AgentServiceOptions.EndpointKey} must be an https URL (bearer tokens are never sent over http).");
        }

        if (string.IsNullOrWhiteSpace(options.ApiVersion) || !Token().IsMatch(options.ApiVersion))
        {
            errors.Add($"{AgentServiceOptions.SectionName}:ApiVersion must be an api-version such as v1 or 2025-05-01.");
        }

        foreach (var (agent, definition) in options.Agents)
        {
            if (!Token().IsMatch(agent))
            {
                errors.Add($"{AgentServiceOptions.AgentsSectionName}:{agent}: agent names may contain only letters, digits, '-', '_' and '.'.");
            }

            if (definition.AgentId is { } id && !string.IsNullOrWhiteSpace(id) && !Token().IsMatch(id.Trim()))
            {
                errors.Add($"{AgentServiceOptions.AgentsSectionName}:{agent}:AgentId must be an agent id such as asst_abc123 " +
                           $"(letters, digits, '-', '_', '.').");
            }

            CheckProtocol(errors, agent, definition);
        }

        Range(errors, "RunDeadlineSeconds", options.RunDeadlineSeconds, 0.1, 3600);
        Range(errors, "FirstPollDelayMs", options.FirstPollDelayMs, 1, 60_000);
        Range(errors, "MaxPollDelayMs", options.MaxPollDelayMs, Math.Max(1, options.FirstPollDelayMs), 60_000);
        Range(errors, "RequestTimeoutSeconds", options.RequestTimeoutSeconds, 0.1, 600);
        Range(errors, "MaxRetries", options.MaxRetries, 0, 10);
        Range(errors, "RetryBaseDelayMs", options.RetryBaseDelayMs, 0, 10_000);
        Range(errors, "MaxRetryDelaySeconds", options.MaxRetryDelaySeconds, 0, 60);
        Range(errors, "CleanupTimeoutSeconds", options.CleanupTimeoutSeconds, 0.1, 300);

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    /// <summary>The protocol rules of one entry (see <see cref="AgentServiceOptions.TargetOf"/>): a known
    /// <c>Protocol</c>; no classic id beside a new agent's name or version unless <c>Protocol</c> says which to use; a
    /// classic entry has its id; a new agent's name (or the entry's, by default) and version are well formed.</summary>
    private static void CheckProtocol(List<string> errors, string agent, AgentDefinition definition)
    {
        var entry = $"{AgentServiceOptions.AgentsSectionName}:{agent}";
        var bing = agent.Equals(Application.Grounding.AskGroundedQuestion.AgentName, StringComparison.OrdinalIgnoreCase);
        var id = AgentServiceOptions.Trimmed(definition.AgentId);
        var name = AgentServiceOptions.Trimmed(definition.AgentName);
        var version = AgentServiceOptions.Trimmed(definition.AgentVersion);
        var protocol = definition.ProtocolValue();
        if (AgentServiceOptions.Trimmed(definition.Protocol) is { } given && protocol is null)
        {
            errors.Add($"{entry}:Protocol must be '{AgentServiceOptions.ClassicProtocol}' (assistants and threads, an AgentId) or " +
                       $"'{AgentServiceOptions.ResponsesProtocol}' (the new agents: an AgentName and optional AgentVersion), not '{given}'.");
            return;
        }

        if (protocol is null && id is not null && (name is not null || version is not null))
        {
            errors.Add($"{entry} has both a classic AgentId and a new agent's {(name is not null ? "AgentName" : "AgentVersion")}" +
                       (bing ? $" ({AgentServiceOptions.AgentIdKey} and {(name is not null ? AgentServiceOptions.AgentNameKey : AgentServiceOptions.AgentVersionKey)} count as these)" : "") +
                       $": remove one, or set {entry}:Protocol to '{AgentServiceOptions.ClassicProtocol}' or '{AgentServiceOptions.ResponsesProtocol}'.");
            return;
        }

        if (protocol == AgentProtocol.Classic)
        {
            if (id is null)
            {
                errors.Add($"{entry}:Protocol is '{AgentServiceOptions.ClassicProtocol}' but no AgentId is set" +
                           (bing ? $" (or {AgentServiceOptions.AgentIdKey})." : "."));
            }

            return;
        }

        if (protocol is null && id is not null)
        {
            return; // classic, by its id alone
        }

        if (name is not null && !AgentName().IsMatch(name))
        {
            errors.Add($"{entry}:AgentName must be an agent name: letters, digits and '-', starting and ending with a letter or digit, at most 63 characters.");
        }
        else if (name is null && !AgentName().IsMatch(agent))
        {
            errors.Add($"{entry} runs a new agent named after the entry, but '{agent}' is not a valid agent name (letters, digits " +
                       $"and '-', at most 63 characters): set {entry}:AgentName{(id is null ? $", or an AgentId for a classic agent" : "")}.");
        }

        if (version is not null && !Token().IsMatch(version))
        {
            errors.Add($"{entry}:AgentVersion must be a version such as 1 or 2 (letters, digits, '-', '_', '.').");
        }
    }

    private static void Range(List<string> errors, string key, double value, double min, double max)
    {
        if (!double.IsFinite(value) || value < min || value > max)
        {
            errors.Add($"{AgentServiceOptions.SectionName}:{key} must be between {min} and {max}.");
        }
    }

    [GeneratedRegex("^[A-Za-z0-9._-]{1,128}$", RegexOptions.CultureInvariant)]
    private static partial Regex Token();

    /// <summary>A new agent's name: "must start and end with alphanumeric characters, can contain hyphens in the middle,
    /// must not exceed 63 characters" (azure-rest-api-specs, specification/ai-foundry/Azure.AI.Projects/agents/routes.tsp,
    /// createAgentVersion).</summary>
    [GeneratedRegex("^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$", RegexOptions.CultureInvariant)]
    private static partial Regex AgentName();
}
