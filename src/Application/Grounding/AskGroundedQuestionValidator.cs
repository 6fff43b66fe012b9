using Microsoft.Extensions.Options;
using Wrapper.Application.Agents;
using Wrapper.Application.Common;

namespace Wrapper.Application.Grounding;

public sealed class AskGroundedQuestionValidator : AgentQuestionValidator<AskGroundedQuestion>
{
    public AskGroundedQuestionValidator(IOptions<ChatOptions> options, IAgentGateway agents)
        : base(options.Value, agents)
    {
    }
}

/// <summary>A streamed grounded answer obeys exactly the rules of <see cref="AskGroundedQuestion"/>.</summary>
public sealed class StreamGroundedAnswerValidator : AgentQuestionValidator<StreamGroundedAnswer>
{
    public StreamGroundedAnswerValidator(IOptions<ChatOptions> options, IAgentGateway agents)
        : base(options.Value, agents)
    {
    }
}
