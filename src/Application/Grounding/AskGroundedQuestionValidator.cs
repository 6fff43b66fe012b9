using Microsoft.Extensions.Options;
using Wrapper.Application.Agents;
using Wrapper.Application.Common;

namespace Wrapper.Application.Grounding;

public sealed class AskGroundedQuestionValidator : AbstractValidator<AskGroundedQuestion>
{
    public AskGroundedQuestionValidator(IOptions<ChatOptions> options) =>
        this.AddQuestionRules(options.Value.MaxMessageLength, r => r.Query, r => r.ThreadId);
}
