using Microsoft.Extensions.Options;
using Wrapper.Application.Common;

namespace Wrapper.Application.Agents;

public sealed class AskAgentValidator : NamedAgentQuestionValidator<AskAgent>
{
    public AskAgentValidator(IOptions<ChatOptions> options, IAgentGateway agents)
        : base(options.Value, agents)
    {
    }
}

/// <summary>A streamed answer obeys exactly the rules of <see cref="AskAgent"/>.</summary>
public sealed class StreamAgentAnswerValidator : NamedAgentQuestionValidator<StreamAgentAnswer>
{
    public StreamAgentAnswerValidator(IOptions<ChatOptions> options, IAgentGateway agents)
        : base(options.Value, agents)
    {
    }
}
