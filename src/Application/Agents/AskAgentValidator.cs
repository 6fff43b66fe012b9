using Microsoft.Extensions.Options;
using Wrapper.Application.Common;

namespace Wrapper.Application.Agents;

public sealed class AskAgentValidator : AbstractValidator<AskAgent>
{
    public AskAgentValidator(IOptions<ChatOptions> options, IAgentGateway agents)
    {
        var known = agents.AgentNames;
        RuleFor(r => r.Agent)
            .Must(a => a is not null && known.Contains(a, StringComparer.OrdinalIgnoreCase))
            .WithMessage($"'agent' must be one of: {string.Join(", ", known.Order(StringComparer.Ordinal))}.")
            .OverridePropertyName("agent");

        this.AddQuestionRules(options.Value.MaxMessageLength, r => r.Query, r => r.ThreadId);
    }
}
