# Evaluates the project's Vagrantfile against a stand-in for Vagrant that records every setting, and
# prints what it configured as JSON: the box, the synced folder, the provider settings and, per machine,
# hostname, networks and provisioners. Used by test/unit/vagrant/vagrantfile.test.ts.
#   ruby test/vagrant/inspect-vagrantfile.rb [VAGRANTFILE [VAGRANT-ARGS ...]]   (LVSLAB_LAB chooses the lab as for vagrant)
require "json"

# Records `x.name = v` as a setting, `x.name(args) { |c| ... }` as a call with a nested record, and
# `x.name` as a nested namespace (config.vm, vm.vm).
class SettingsRecorder
  def initialize
    @settings = {}
    @calls = []
  end

  def method_missing(name, *args, **options, &block)
    key = name.to_s
    return @settings[key.chomp("=")] = args.first if key.end_with?("=")
    if block
      nested = SettingsRecorder.new
      block.call(nested)
      @calls << { "call" => key, "args" => args, "options" => options, "block" => nested.to_h }
      return nil
    end
    return (@settings[key] ||= SettingsRecorder.new) if args.empty? && options.empty?
    @calls << { "call" => key, "args" => args, "options" => options }
    nil
  end

  def respond_to_missing?(*) = true

  def to_h
    settings = @settings.transform_values { |v| v.is_a?(SettingsRecorder) ? v.to_h : v }
    @calls.empty? ? settings : settings.merge("calls" => @calls)
  end
end

module Vagrant
  @configs = []
  class << self
    attr_reader :configs

    def configure(version)
      config = SettingsRecorder.new
      yield config
      @configs << { "version" => version, "config" => config.to_h }
    end
  end
end

# the arguments after the file are vagrant's own (ARGV as the Vagrantfile sees it: `up`, `ssh`, ...)
vagrantfile = File.expand_path(ARGV.shift || "Vagrantfile")
# the Vagrantfile's own __dir__ must be its folder, as when vagrant loads it
eval(File.read(vagrantfile), TOPLEVEL_BINDING, vagrantfile) # rubocop:disable Security/Eval
puts JSON.pretty_generate(Vagrant.configs)
